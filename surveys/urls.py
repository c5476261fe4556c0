"""URLs of the surveys app. Each area keeps its routes beside its views (surveys/views/<area>.py)."""

from .views import design

# under /o/<org_slug>/
urlpatterns = [*design.urlpatterns]
