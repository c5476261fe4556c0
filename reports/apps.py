from django.utils.translation import gettext_lazy as _

from qms import modules


class ReportsConfig(modules.ModuleConfig):
    name = "reports"
    verbose_name = _("Reports")

    # The organisation's home page (/o/<slug>/, tenancy:home, action "dashboard.view") is the dashboard.
    home_view = "reports.views.dashboard"
    demo_seeder = "reports.demo.seed_dashboard"
