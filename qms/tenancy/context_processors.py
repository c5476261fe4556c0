from .access import MANAGERS, can_write, has_role
from .models import Role
from .selectors import memberships_for_user


def tenancy(request):
    membership = getattr(request, "membership", None)
    if membership is None or not request.path_info.startswith("/o/"):
        return {}
    return {
        "organization": request.organization,
        "membership": membership,
        "my_memberships": memberships_for_user(user=request.user),
        "can_write": can_write(membership),
        "is_manager": has_role(membership, *MANAGERS),
        "is_owner": has_role(membership, Role.OWNER),
    }
