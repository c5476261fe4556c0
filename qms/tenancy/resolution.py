from .models import Organization


def resolve_organization(slug: str) -> Organization | None:
    """The one function that turns a URL's organisation slug into an Organization."""
    return Organization.objects.filter(slug=slug).first()
