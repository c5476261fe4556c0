"""URLs of the customers app; each area keeps its routes beside its views (customers/views/<area>.py)."""

from . import api
from .views import directory, privacy

# under /o/<org_slug>/
urlpatterns = [*directory.urlpatterns, *privacy.urlpatterns]
# under /api/v1/o/<org_slug>/
api_urlpatterns = api.urlpatterns
