"""The email settings' form: the organisation's sending rate."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qms.forms import CrispyMixin


class SendRateForm(CrispyMixin, forms.Form):
    per_minute = forms.IntegerField(
        label=_("Emails a minute"), min_value=1, max_value=1_000_000, required=False,
        help_text=_("At most this many of the organisation's emails leave a minute, across every worker (a campaign's "
                    "wave included). Empty: the server's default."),
    )  # fmt: skip

    def clean_per_minute(self) -> int | None:
        value = self.cleaned_data["per_minute"]
        server = settings.OUTBOX_RATE_PER_MINUTE
        if value is not None and server > 0 and value > server:
            raise forms.ValidationError(
                _("The server sends at most %(rate)s emails a minute; choose that or fewer."), params={"rate": server}
            )
        return value
