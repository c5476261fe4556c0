"""URLs of the surveys app. Each area keeps its routes beside its views (surveys/views/<area>.py)."""

# under /o/<org_slug>/
urlpatterns: list = []
