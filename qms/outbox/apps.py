from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "qms.outbox"
    label = "outbox"
    verbose_name = "Outbox"
