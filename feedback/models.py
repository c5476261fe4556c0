"""Every unsolicited word customers send: the feedback inbox (ISO 9001 clause 9.1.2), and the methods register."""

from datetime import date
from typing import ClassVar, cast

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Contact, Customer
from qms.tenancy.models import TenantOwned
from qms.workflows import Transition, Workflow


class Theme(TenantOwned):
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="theme_name_unique")]

    def __str__(self) -> str:
        return self.name


class FeedbackItem(TenantOwned):
    audited_fields = (
        "channel", "kind", "customer", "contact", "submitter_name", "submitter_email", "product", "received_on",
        "text", "status", "assignee", "sentiment", "closing_note", "closed_at", "converted_to",
    )  # fmt: skip
    # Sealed in audit events (qms/audit/sealing.py) under the item's key and the key of the contact it is for at
    # the time: erasing that contact makes them unreadable there, even after the item moved to another contact.
    # "attachment" is the file name in the item's attachment events.
    personal_fields = ("contact", "submitter_name", "submitter_email", "text", "closing_note", "attachment")
    personal_relations = ("contact",)

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        MEETING = "meeting", _("Meeting")
        WEB_FORM = "web_form", _("Web form")
        DEALER_REPORT = "dealer_report", _("Dealer / partner report")
        WARRANTY_CLAIM = "warranty_claim", _("Warranty claim")
        SOCIAL = "social", _("Social media")
        API = "api", _("API")
        SURVEY = "survey", _("Survey")

    class Kind(models.TextChoices):
        COMPLIMENT = "compliment", _("Compliment")
        SUGGESTION = "suggestion", _("Suggestion")
        QUESTION = "question", _("Question")
        CONCERN = "concern", _("Concern")
        COMPLAINT = "complaint", _("Complaint")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSED = "closed", _("Closed")

    class Sentiment(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEUTRAL = "neutral", _("Neutral")
        NEGATIVE = "negative", _("Negative")

    reference = models.CharField(_("reference"), max_length=20)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="feedback"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="feedback"
    )
    submitter_name = models.CharField(
        _("submitter's name"), max_length=200, blank=True, help_text=_("When no contact is on file.")
    )
    submitter_email = models.EmailField(_("submitter's email"), blank=True)
    product = models.CharField(_("product or service"), max_length=200, blank=True)
    received_on = models.DateField(_("date received"), default=timezone.localdate)
    text = models.TextField(_("text"))
    # The language the text is written in, when it is known (a survey's follow-up quotes the survey's words).
    language = models.CharField(_("language of the text"), max_length=10, blank=True, db_default="")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    themes = models.ManyToManyField(
        Theme, verbose_name=_("themes"), blank=True, through="FeedbackTheme", related_name="feedback"
    )
    sentiment = models.CharField(_("sentiment"), max_length=16, choices=Sentiment.choices, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    converted_to = models.CharField(
        _("converted to"), max_length=40, blank=True, help_text=_("Reference of the record it became.")
    )
    source_ip_hash = models.CharField(max_length=64, blank=True, help_text="Public form rate limiting only.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    workflow: ClassVar[Workflow]  # declared below the class: its transitions name the class's statuses

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-received_on", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["organization", "reference"], name="feedback_reference_unique")]
        indexes = [
            models.Index(fields=["organization", "status", "received_on"]),
            models.Index(fields=["organization", "assignee", "status"]),
            models.Index(fields=["organization", "customer"]),
            models.Index(fields=["organization", "source_ip_hash", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()}"

    def converted_elsewhere(self) -> str | None:
        if not self.converted_to:
            return None
        return _("This item became %(reference)s; carry on there.") % {"reference": self.converted_to}

    @property
    def link_label(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("feedback:feedback_detail", kwargs={"org_slug": self.organization.slug, "feedback_id": self.pk})


# The workflow's texts are lazy strings, read in the language of the page that shows them (cast: typed as str).
_NEW, _IN_PROGRESS, _CLOSED = FeedbackItem.Status.NEW, FeedbackItem.Status.IN_PROGRESS, FeedbackItem.Status.CLOSED
FeedbackItem.workflow = Workflow(
    "status",
    [
        # Triage of a new item (assigning, tagging, marking sentiment, linking) starts it.
        Transition("start", (_NEW,), _IN_PROGRESS, "feedback.triage", "Start", "started", automatic=True),
        Transition(
            "close", (_NEW, _IN_PROGRESS), _CLOSED, "feedback.triage", cast(str, _("Close")), cast(str, _("closed")),
            refused=_("This item is closed already."),
        ),
        Transition(
            "reopen", (_CLOSED,), _IN_PROGRESS, "feedback.triage", cast(str, _("Reopen")), cast(str, _("reopened")),
            guard=FeedbackItem.converted_elsewhere, refused=_("This item is not closed, so it cannot be reopened."),
        ),
    ],
    noun=cast(str, _("item")),
)  # fmt: skip


class FeedbackTheme(TenantOwned):
    """Theme tags of a feedback item; an explicit table so it carries organization_id and its RLS policy."""

    feedback = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE)
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feedback", "theme"], name="feedback_theme_once")]
        indexes = [models.Index(fields=["organization", "theme"])]


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.organization_id}/{timezone.now():%Y/%m}/{instance.sha256[:32]}"


class Attachment(TenantOwned):
    feedback = models.ForeignKey(FeedbackItem, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at"]
        indexes = [models.Index(fields=["organization", "feedback"])]

    def __str__(self) -> str:
        return self.original_name

    @property
    def description(self) -> str:
        """The file as the audit trail names it in clear: never by its name, which is personal data."""
        return f"#{self.pk}, {self.content_type}, {self.size} bytes"


class SavedView(TenantOwned):
    """A person's named inbox filter (the built-in views "mine", "unassigned" and "this month" are not stored)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "owner", "name"], name="saved_view_name_unique")]

    def __str__(self) -> str:
        return f"Saved view “{self.name}”"


class MonitoringMethod(TenantOwned):
    """An entry of the clause 9.1.2 register: how the organisation monitors customers' perception."""

    audited_fields = ("name", "kind", "description", "owner", "review_frequency", "last_reviewed_on", "retired_at")

    class Kind(models.TextChoices):
        SURVEY = "survey", _("Survey")
        INBOX_CHANNEL = "inbox_channel", _("Feedback channel")
        MEETING = "meeting", _("Customer meeting")
        MARKET_DATA = "market_data", _("Market data")
        WARRANTY = "warranty", _("Warranty and returns data")
        DEALER = "dealer", _("Dealer / partner reports")
        COMPLIMENTS = "compliments", _("Compliments and complaints")
        OTHER = "other", _("Other")

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        HALF_YEARLY = "half_yearly", _("Every six months")
        YEARLY = "yearly", _("Yearly")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("monitoring method", "owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_frequency = models.CharField(
        _("review frequency"), max_length=20, choices=Frequency.choices, default=Frequency.QUARTERLY
    )
    last_reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    # Not columns: set on the methods a page lists (feedback.selectors.methods, feedback.views.methods).
    next_review_on: date
    is_due: bool

    class Meta:
        verbose_name = _("monitoring method")
        verbose_name_plural = _("monitoring methods")
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "kind"])]

    def __str__(self) -> str:
        return self.name


class MethodReview(TenantOwned):
    """One review of a monitoring method's effectiveness (clause 9.1.2 asks that the methods themselves be
    evaluated): when, by whom, what it concluded and why. Reviews are kept, never edited: the register's history."""

    class Outcome(models.TextChoices):
        EFFECTIVE = "effective", _("Effective: keep it as it is")
        IMPROVE = "improve", _("Works, but needs changes")
        INEFFECTIVE = "ineffective", _("Not effective: replace or retire it")

    method = models.ForeignKey(
        MonitoringMethod, verbose_name=_("monitoring method"), on_delete=models.PROTECT, related_name="reviews"
    )
    reviewed_on = models.DateField(_("reviewed on"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-reviewed_on", "-created_at"]
        indexes = [models.Index(fields=["organization", "method", "reviewed_on"])]

    def __str__(self) -> str:
        return f"Review of {self.method_id} on {self.reviewed_on:%-d %b %Y}"
