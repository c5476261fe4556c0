"""URLs of the customers app; each area keeps its routes beside its views (customers/views/<area>.py)."""

from . import api
from .views import directory, mail_events, privacy, saved_views

# under /o/<org_slug>/
urlpatterns = [*directory.urlpatterns, *privacy.urlpatterns, *saved_views.urlpatterns, *mail_events.urlpatterns]
# under /api/v1/o/<org_slug>/
api_urlpatterns = api.urlpatterns
# under /hooks/<org_slug>/ (no account; the view proves the request and enters the organisation)
hook_urlpatterns = mail_events.hook_urlpatterns
