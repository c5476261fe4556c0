from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from feedback.models import MethodReview, MonitoringMethod
from qms.accounts.models import User
from qms.forms import CrispyMixin, DateInput
from qms.tenancy.models import Membership


class MonitoringMethodForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=MonitoringMethod.Kind.choices)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What is monitored, how, and where the results are kept."),
    )
    owner = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label=pgettext_lazy("monitoring method", "Owner")
    )
    review_frequency = forms.ChoiceField(
        label=_("Review frequency"),
        choices=MonitoringMethod.Frequency.choices,
        initial=MonitoringMethod.Frequency.QUARTERLY,
        help_text=_("How often the method itself is reviewed for effectiveness."),
    )
    last_reviewed_on = forms.DateField(required=False, label=_("Last reviewed on"), widget=DateInput)

    def __init__(
        self, *args: Any, members: QuerySet[Membership], current_owner: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._users = {m.user_id: m.user for m in members}
        if current_owner is not None:
            self._users.setdefault(current_owner.pk, current_owner)  # a former member stays until changed
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ChoiceField)
        owner_field.choices = [("", _("Nobody yet"))] + [
            (user.pk, f"{user.get_full_name() or user.email} ({user.email})") for user in self._users.values()
        ]

    def clean_owner(self) -> User | None:
        owner_id = self.cleaned_data.get("owner")
        return self._users.get(owner_id) if owner_id else None

    @classmethod
    def initial_for(cls, method: MonitoringMethod) -> dict[str, Any]:
        return {
            "name": method.name,
            "kind": method.kind,
            "description": method.description,
            "owner": method.owner_id or "",
            "review_frequency": method.review_frequency,
            "last_reviewed_on": method.last_reviewed_on,
        }


class MethodReviewForm(CrispyMixin, forms.Form):
    """What a review of a method concluded; the service checks that notes come with any outcome but "effective"."""

    outcome = forms.ChoiceField(
        choices=MethodReview.Outcome.choices, widget=forms.RadioSelect, label=_("What did the review conclude?")
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Notes"),
        help_text=_("What was looked at (response rates, the answers' use, complaints it missed) and what changes."),
    )
    reviewed_on = forms.DateField(label=_("Reviewed on"), widget=DateInput)
