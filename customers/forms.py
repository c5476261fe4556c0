"""Forms of the customer directory. They parse input; the rules (unique references and emails, who may own an
account, phone and language formats) are in customers.services.customers and come back as field errors."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer, ImportJob
from customers.selectors.directory import account_owner_choices
from qms.accounts.models import User
from qms.forms import CrispyMixin
from qms.tenancy.models import Organization


class AccountOwnerField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        return f"{user.full_name} ({user.email})" if user.full_name else user.email


class CustomerForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices, initial=Customer.Kind.ORGANISATION)
    segment = forms.CharField(label=_("Segment"), max_length=100, required=False)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    account_owner = AccountOwnerField(
        label=_("Account owner"), queryset=None, required=False, empty_label=_("Nobody yet")
    )
    external_ref = forms.CharField(
        label=_("External reference"),
        max_length=100,
        required=False,
        help_text=_("The customer's number in your CRM."),
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, organization: Organization, customer: Customer | None = None, **kwargs: Any) -> None:
        if customer is not None:
            kwargs["initial"] = {
                "name": customer.name,
                "kind": customer.kind,
                "segment": customer.segment,
                "region": customer.region,
                "account_owner": customer.account_owner_id,
                "external_ref": customer.external_ref,
                "notes": customer.notes,
                "archived": customer.archived_at is not None,
            }
        super().__init__(*args, **kwargs)
        current = customer.account_owner_id if customer is not None else None
        # Only this organisation's people: an id from elsewhere is "not one of the available choices".
        owners = account_owner_choices(organization=organization, include_user_id=current)
        owner_field = self.fields["account_owner"]
        assert isinstance(owner_field, AccountOwnerField)
        owner_field.queryset = owners
        if customer is not None:
            self.fields["archived"] = forms.BooleanField(
                label=_("Archived"),
                required=False,
                help_text=_("Archived customers are hidden from the directory unless you ask for them."),
            )


class ContactForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    preferred_language = forms.CharField(
        label=_("Preferred language"),
        max_length=10,
        initial="en",
        help_text=_("A language code such as en, de or fr-ca."),
        required=False,
    )
    consent = forms.ChoiceField(
        label=_("Consent"),
        choices=Contact.Consent.choices,
        initial=Contact.Consent.UNKNOWN,
        help_text=_("Whether this person agreed to be asked for feedback. A change is dated."),
    )

    def __init__(self, *args: Any, contact: Contact | None = None, **kwargs: Any) -> None:
        if contact is not None:
            kwargs["initial"] = {
                "name": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                "preferred_language": contact.preferred_language,
                "consent": contact.consent,
            }
        super().__init__(*args, **kwargs)


class ImportUploadForm(CrispyMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_("A .csv file (UTF-8) or an .xlsx workbook (its first sheet is read)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class ImportConfirmForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=ImportJob.Mode.choices, widget=forms.RadioSelect)


class MailgunKeyForm(CrispyMixin, forms.Form):
    key = forms.CharField(
        label=_("Mailgun HTTP webhook signing key"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("From Mailgun: Sending → Webhooks → HTTP webhook signing key. Leave empty to remove it."),
    )


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Save these filters as"), max_length=80)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)
