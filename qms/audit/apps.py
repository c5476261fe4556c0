from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "qms.audit"
    label = "audit"
    verbose_name = "Audit trail"
