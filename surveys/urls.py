"""URLs of the surveys app. Each area keeps its routes beside its views (surveys/views/<area>.py)."""

from . import api
from .views import campaigns, design, loop, respond, results, send

# under /o/<org_slug>/
urlpatterns = [*design.urlpatterns, *send.urlpatterns, *results.urlpatterns, *loop.urlpatterns, *campaigns.urlpatterns]
# at the site's root, found by their token (/r/<token>/, /u/<token>/): the customer's side, no account
link_urlpatterns = respond.link_urlpatterns
# under /api/v1/o/<org_slug>/
api_urlpatterns = api.urlpatterns
