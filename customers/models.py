"""Customers and their contacts: the directory every module asks, listens to and acts for, and its imports."""

from typing import ClassVar, cast

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.tenancy.models import TenantOwned
from qms.workflows import Transition, Workflow


class Customer(TenantOwned):
    audit_former_types = ("feedback.customer",)  # its events before it moved from feedback/
    audited_fields = ("name", "kind", "segment", "region", "external_ref", "notes", "archived_at")

    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("Organisation")
        PERSON = "person", _("Person")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ORGANISATION)
    name = models.CharField(_("name"), max_length=200)
    segment = models.CharField(_("segment"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    external_ref = models.CharField(_("external reference"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="customer_external_ref_unique",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "name"]),
            models.Index(fields=["organization", "segment"]),
            models.Index(fields=["organization", "region"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:customer_detail", kwargs={"org_slug": self.organization.slug, "customer_id": self.pk})


class Contact(TenantOwned):
    audit_former_types = ("feedback.contact",)  # its events before it moved from feedback/
    audited_fields = (
        "name", "email", "phone", "preferred_language", "consent", "consent_changed_at", "consent_source",
        "undeliverable_at", "undeliverable_reason", "soft_bounces",
    )  # fmt: skip
    # sealed in audit events (qms/audit/sealing.py); a bounce's answer often quotes the address
    personal_fields = ("name", "email", "phone", "undeliverable_reason")

    class Consent(models.TextChoices):
        UNKNOWN = "unknown", _("Not asked")
        GRANTED = "granted", _("Consented")
        OPTED_OUT = "opted_out", _("Opted out")

    class ConsentSource(models.TextChoices):
        """How the consent got its current state: who or what changed it last."""

        STAFF = "staff", _("Changed by staff")
        IMPORT = "import", _("Imported")
        ONE_CLICK = "one_click", _("One-click unsubscribe in an email")
        UNSUBSCRIBE_PAGE = "unsubscribe_page", _("Unsubscribe page")
        API = "api", _("Through the API")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True, default="en")
    consent = models.CharField(_("consent"), max_length=16, choices=Consent.choices, default=Consent.UNKNOWN)
    consent_changed_at = models.DateTimeField(_("consent changed"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=32, blank=True, choices=ConsentSource.choices)
    # A hard bounce or a spam complaint marks the address at once, SOFT_BOUNCE_LIMIT soft bounces in a row too
    # (customers/mail_events.py); campaigns leave such contacts out of their waves.
    undeliverable_at = models.DateTimeField(_("undeliverable since"), null=True, blank=True)
    # Database defaults too: the import writes contacts with set-based SQL that names only its own columns.
    undeliverable_reason = models.TextField(_("why undeliverable"), blank=True, default="", db_default="")
    soft_bounces = models.PositiveSmallIntegerField(_("soft bounces in a row"), default=0, db_default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    erased_at = models.DateTimeField(
        _("erased"), null=True, blank=True, help_text=_("Personal data erased on request.")
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=~models.Q(email="") & models.Q(erased_at__isnull=True),
                name="contact_email_unique",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "customer"]),
            models.Index(fields=["organization", "name"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_name(self) -> str:
        """Events name a contact by number, never by name."""
        return f"Contact #{self.pk}"

    @property
    def can_be_emailed(self) -> bool:
        return (
            bool(self.email)
            and self.consent != self.Consent.OPTED_OUT
            and self.erased_at is None
            and self.undeliverable_at is None
        )


class DirectorySavedView(TenantOwned):
    """A person's named directory filter (the customer list's query string); campaigns use one as an audience,
    evaluated when they read it (customers.selectors.saved_views)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("saved directory view")
        verbose_name_plural = _("saved directory views")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "owner", "name"], name="directory_view_name_unique")
        ]

    def __str__(self) -> str:
        return f"Saved directory view “{self.name}”"


class MailEventsEndpoint(TenantOwned):
    """How the organisation's mail provider proves a bounce or complaint is real (customers/mail_events.py).

    Both keys are what verification needs (an HMAC key cannot be checked against a hash of itself), so they are
    stored encrypted with a key derived from SECRET_KEY: a copy of the database alone does not reveal them. The
    secret is shown once, when it is made; only its last characters are kept in clear, to recognise it."""

    audited_fields = ("secret_hint", "secret_rotated_at", "mailgun_key_hint", "mailgun_key_set_at")

    secret_sealed = models.TextField(_("secret (encrypted)"))
    secret_hint = models.CharField(_("secret ends with"), max_length=8)
    secret_rotated_at = models.DateTimeField(_("secret made"), default=timezone.now)
    mailgun_key_sealed = models.TextField(_("Mailgun signing key (encrypted)"), blank=True)
    mailgun_key_hint = models.CharField(_("Mailgun key ends with"), max_length=8, blank=True)
    mailgun_key_set_at = models.DateTimeField(_("Mailgun key set"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail events endpoint")
        verbose_name_plural = _("mail events endpoints")
        constraints = [models.UniqueConstraint(fields=["organization"], name="mail_events_endpoint_unique")]

    def __str__(self) -> str:
        return "Mail events endpoint"


class ImportJob(TenantOwned):
    """An upload of customers and contacts: validated into a preview, then written as a Celery task."""

    audit_former_types = ("feedback.importjob",)  # its events before it moved from feedback/

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking the file")
        PREVIEW = "preview", _("Ready to import")
        INVALID = "invalid", _("File could not be read")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("Import only if every row is valid")
        VALID_ONLY = "valid_only", _("Import the valid rows, skip the others")

    file = models.FileField(_("file"), upload_to="imports/")
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.VALIDATING)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, column, message}], the first 1000.")
    summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    workflow: ClassVar[Workflow]  # declared below the class: its transitions name the class's statuses

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "created_at"])]


# The workflow's texts are lazy strings, read in the language of the page that shows them (cast: typed as str).
_S, IMPORT = ImportJob.Status, "customers.import"
ImportJob.workflow = Workflow(
    "status",
    [
        # A worker's: the file was checked, or could not be read.
        Transition("checked", (_S.VALIDATING,), _S.PREVIEW, IMPORT, "Checked", "checked", automatic=True),
        Transition("unreadable", (_S.VALIDATING,), _S.INVALID, IMPORT, "Unreadable", "refused", automatic=True),
        # A person's: import the previewed rows, or give up before anything is written.
        Transition(
            "confirm", (_S.PREVIEW,), _S.IMPORTING, IMPORT, cast(str, _("Import")), cast(str, _("confirmed")),
            refused=cast(str, _("This import is no longer waiting to be confirmed.")),
        ),
        Transition(
            "cancel", (_S.VALIDATING, _S.PREVIEW), _S.CANCELLED, IMPORT,
            cast(str, _("Cancel this import")), cast(str, _("cancelled")),
            refused=cast(str, _("Only an import that has not started writing can be cancelled.")),
        ),
        # A worker's again: the rows were written, or the task gave up.
        Transition("finish", (_S.IMPORTING,), _S.DONE, IMPORT, "Finish", "finished", automatic=True),
        Transition("fail", (_S.VALIDATING, _S.IMPORTING), _S.FAILED, IMPORT, "Fail", "failed", automatic=True),
    ],
    noun=cast(str, _("import")),
)  # fmt: skip
