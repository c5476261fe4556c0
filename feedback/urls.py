"""URLs of the feedback app. Each area keeps its routes beside its views (feedback/views/<area>.py)."""

from . import api
from .views import directory, inbox, methods, privacy, public, triage

app_name = "feedback"

# under /o/<org_slug>/
urlpatterns = [
    *directory.urlpatterns,
    *inbox.urlpatterns,
    *triage.urlpatterns,
    *methods.urlpatterns,
    *privacy.urlpatterns,
]
# under /p/<org_slug>/ — public, no account
public_urlpatterns = public.urlpatterns
# under /api/v1/o/<org_slug>/
api_urlpatterns = api.urlpatterns
