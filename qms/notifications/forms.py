"""The forms of the notification pages: a member's own settings, and a rule for one kind."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from qms.accounts.models import User
from qms.forms import CrispyMixin
from qms.modules import NotificationKind, notification_kinds
from qms.permissions import WRITERS
from qms.tenancy.models import Membership, Organization

from .models import Delivery, NotificationRule


class PreferenceForm(CrispyMixin, forms.Form):
    delivery = forms.ChoiceField(
        label=_("How you are emailed"), choices=Delivery.choices, widget=forms.RadioSelect, initial=Delivery.IMMEDIATE
    )
    kinds = forms.MultipleChoiceField(
        label=_("Tell me about"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You are not told of a kind you untick: neither under the bell nor by email."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = cast(forms.MultipleChoiceField, self.fields["kinds"])
        kinds.choices = [(k.key, f"{k.label} — {k.description}") for k in notification_kinds()]

    def muted_kinds(self) -> list[str]:
        chosen = set(self.cleaned_data["kinds"])
        return [kind.key for kind in notification_kinds() if kind.key not in chosen]


class MemberField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.email


class RuleForm(CrispyMixin, forms.Form):
    """A rule for one kind: a select per fact the kind offers ("Any" by default), and whom it tells."""

    target = forms.ChoiceField(
        label=_("Tell"), choices=NotificationRule.Target.choices, initial=NotificationRule.Target.MANAGERS
    )
    member = MemberField(
        label=_("Member"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Choose a member"),
        help_text=_("When a named member is told."),
    )

    def __init__(
        self, *args: Any, kind: NotificationKind, organization: Organization, members: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, prefix=kind.key.replace(".", "-"), **kwargs)
        self.kind = kind
        people = User.objects.filter(pk__in=members.values_list("user_id", flat=True))
        cast(MemberField, self.fields["member"]).queryset = people.order_by("full_name", "email")
        facts = {}
        for fact in kind.facts:
            facts[f"fact_{fact.name}"] = forms.ChoiceField(
                label=fact.label, required=False, choices=[("", _("Any")), *fact.choices_for(organization)]
            )
        self.fields = {**facts, **self.fields}

    def conditions(self) -> dict[str, str]:
        return {fact.name: self.cleaned_data.get(f"fact_{fact.name}") or "" for fact in self.kind.facts}

    def rule_values(self) -> dict[str, Any]:
        return {
            "kind": self.kind.key,
            "conditions": self.conditions(),
            "target": self.cleaned_data["target"],
            "member": self.cleaned_data.get("member"),
        }


def rule_members(*, organization: Organization) -> Any:
    """Who a rule can name: the current members who are not auditors."""
    return Membership.objects.active().filter(organization=organization, role__in=WRITERS)
