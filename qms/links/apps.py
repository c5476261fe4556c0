from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "qms.links"
    label = "links"
    verbose_name = "Links between records"
