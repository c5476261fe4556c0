"""Whom a one-off send goes to: every contact of a segment, a customer's contacts, or addresses pasted in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Contact, Customer
from qms.forms import MAX_ID, CrispyMixin
from qms.tenancy.models import Organization
from surveys.services.sending import contacts_for

MAX_ADDRESSES = 10_000


class SendForm(CrispyMixin, forms.Form):
    AUDIENCES = (
        ("segment", gettext_lazy("Every contact of a segment")),
        ("customer", gettext_lazy("The contacts of one customer")),
        ("emails", gettext_lazy("Contacts by email address")),
    )

    audience = forms.ChoiceField(label=gettext_lazy("Send to"), choices=AUDIENCES, widget=forms.RadioSelect)
    segment = forms.ChoiceField(label=gettext_lazy("Segment"), required=False)
    customer: forms.ModelChoiceField[Customer] = forms.ModelChoiceField(
        label=gettext_lazy("Customer"), queryset=Customer.objects.none(), required=False
    )
    emails = forms.CharField(
        label=gettext_lazy("Email addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_ADDRESSES * 80,
        help_text=gettext_lazy("One per line, or separated by commas: contacts of the directory with these addresses."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        segments = (
            Customer.objects.filter(organization=organization, archived_at__isnull=True)
            .exclude(segment="")
            .values_list("segment", flat=True)
            .distinct()
            .order_by("segment")
        )
        self.fields["segment"].choices = [("", "—"), *((s, s) for s in segments)]  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["customer"].queryset = Customer.objects.filter(  # type: ignore[attr-defined]  # a ModelChoiceField
            organization=organization, archived_at__isnull=True
        ).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        audience = data.get("audience")
        if audience == "segment" and not data.get("segment"):
            self.add_error("segment", _("Choose a segment."))
        if audience == "customer" and not data.get("customer"):
            self.add_error("customer", _("Choose a customer."))
        if audience == "emails":
            addresses = self.addresses(data.get("emails", ""))
            if not addresses:
                self.add_error("emails", _("Give at least one email address."))
            elif len(addresses) > MAX_ADDRESSES:
                self.add_error("emails", _("Give at most %(count)d addresses at a time.") % {"count": MAX_ADDRESSES})
        return data

    def addresses(self, text: str) -> list[str]:
        found = []
        for part in text.replace(",", "\n").replace(";", "\n").splitlines():
            address = part.strip().lower()
            if not address:
                continue
            try:
                validate_email(address)
            except ValidationError:
                self.add_error("emails", _("“%(address)s” is not an email address.") % {"address": address[:80]})
                continue
            found.append(address)
        return list(dict.fromkeys(found))

    def contacts(self) -> QuerySet[Contact]:
        data = self.cleaned_data
        if data["audience"] == "segment":
            return contacts_for(organization=self.organization, segment=data["segment"])
        if data["audience"] == "customer":
            return contacts_for(organization=self.organization, customer_id=data["customer"].pk)
        addresses = self.addresses(data["emails"])
        return Contact.objects.filter(organization=self.organization, email__in=addresses)

    def audience_summary(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["audience"] == "segment":
            return {"segment": data["segment"]}
        if data["audience"] == "customer":
            return {"customer": data["customer"].pk, "customer_name": data["customer"].name}
        return {"addresses": len(self.addresses(data["emails"]))}


class RevokeForm(forms.Form):
    """Revoke one invitation of a send (its id), or, left out, every one not answered yet."""

    invitation = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
