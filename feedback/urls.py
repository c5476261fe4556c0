"""URLs of the feedback app. Each area keeps its routes beside its views (feedback/views/<area>.py)."""

from . import api
from .views import bulk, inbox, methods, public, triage

# under /o/<org_slug>/
urlpatterns = [*inbox.urlpatterns, *bulk.urlpatterns, *triage.urlpatterns, *methods.urlpatterns]
# under /p/<org_slug>/ — public, no account
public_urlpatterns = public.urlpatterns
# under /api/v1/o/<org_slug>/
api_urlpatterns = api.urlpatterns
