from django.urls import path

from . import views

app_name = "outbox"

urlpatterns = [
    path("settings/email/", views.delivery_log, name="delivery_log"),
    path("settings/email/<int:message_id>/retry/", views.message_retry, name="message_retry"),
    path("settings/email/rate/", views.delivery_rate, name="delivery_rate"),
]

dev_urlpatterns = [
    path("dev/mailbox/", views.dev_mailbox, name="dev_mailbox"),
    path("dev/mailbox/<str:name>/", views.dev_mailbox_message, name="dev_mailbox_message"),
    path("dev/mailbox/<str:name>/html", views.dev_mailbox_html, name="dev_mailbox_html"),
]
