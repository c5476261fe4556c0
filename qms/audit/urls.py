from django.urls import path

from . import api, views

app_name = "audit"

urlpatterns = [
    path("audit/", views.audit_trail, name="trail"),
    path("audit/export.csv", views.audit_trail_csv, name="trail_csv"),
    path("audit/<int:event_id>/", views.audit_event_detail, name="event"),
    path("audit/checkpoint.json", views.audit_checkpoint_download, name="checkpoint"),
]

api_urlpatterns = [
    path("audit-events/", api.AuditEventList.as_view(), name="api_events"),
    path("audit-events/<int:pk>/", api.AuditEventDetail.as_view(), name="api_event"),
]
