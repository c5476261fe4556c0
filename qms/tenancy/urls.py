from django.urls import path

from . import api_views, views

app_name = "tenancy"

urlpatterns = [
    path("", views.organization_home, name="home"),
    path("settings/", views.organization_settings, name="settings"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:membership_id>/", views.member_edit, name="member_edit"),
    path("settings/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("settings/invitations/<int:invitation_id>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
]

api_urlpatterns = [
    path("members/", api_views.MemberList.as_view(), name="api_members"),
    path("members/<int:pk>/", api_views.MemberDetail.as_view(), name="api_member"),
]
