"""Every unsolicited word customers send: the feedback inbox (ISO 9001 clause 9.1.2), and the methods register."""

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from customers.models import Contact, Customer
from qms.tenancy.models import TenantOwned
from qms.workflows import Transition, Workflow


class Theme(TenantOwned):
    name = models.CharField(max_length=80)

    class Meta:
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
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        WEB_FORM = "web_form", "Web form"
        DEALER_REPORT = "dealer_report", "Dealer / partner report"
        WARRANTY_CLAIM = "warranty_claim", "Warranty claim"
        SOCIAL = "social", "Social media"
        API = "api", "API"

    class Kind(models.TextChoices):
        COMPLIMENT = "compliment", "Compliment"
        SUGGESTION = "suggestion", "Suggestion"
        QUESTION = "question", "Question"
        CONCERN = "concern", "Concern"
        COMPLAINT = "complaint", "Complaint"

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        CLOSED = "closed", "Closed"

    class Sentiment(models.TextChoices):
        POSITIVE = "positive", "Positive"
        NEUTRAL = "neutral", "Neutral"
        NEGATIVE = "negative", "Negative"

    reference = models.CharField(max_length=20)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="feedback")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="feedback")
    submitter_name = models.CharField(max_length=200, blank=True, help_text="When no contact is on file.")
    submitter_email = models.EmailField(blank=True)
    product = models.CharField("product or service", max_length=200, blank=True)
    received_on = models.DateField("date received", default=timezone.localdate)
    text = models.TextField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    themes = models.ManyToManyField(Theme, blank=True, through="FeedbackTheme", related_name="feedback")
    sentiment = models.CharField(max_length=16, choices=Sentiment.choices, blank=True)
    closing_note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    converted_to = models.CharField(max_length=40, blank=True, help_text="Reference of the record it became.")
    source_ip_hash = models.CharField(max_length=64, blank=True, help_text="Public form rate limiting only.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    workflow: ClassVar[Workflow]  # declared below the class: its transitions name the class's statuses

    class Meta:
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
        return f"This item became {self.converted_to}; carry on there." if self.converted_to else None

    @property
    def link_label(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("feedback:feedback_detail", kwargs={"org_slug": self.organization.slug, "feedback_id": self.pk})


_NEW, _IN_PROGRESS, _CLOSED = FeedbackItem.Status.NEW, FeedbackItem.Status.IN_PROGRESS, FeedbackItem.Status.CLOSED
FeedbackItem.workflow = Workflow(
    "status",
    [
        # Triage of a new item (assigning, tagging, marking sentiment, linking) starts it.
        Transition("start", (_NEW,), _IN_PROGRESS, "feedback.triage", "Start", "started", automatic=True),
        Transition("close", (_NEW, _IN_PROGRESS), _CLOSED, "feedback.triage", "Close", "closed"),
        Transition(
            "reopen", (_CLOSED,), _IN_PROGRESS, "feedback.triage", "Reopen", "reopened",
            guard=FeedbackItem.converted_elsewhere,
        ),
    ],
    noun="item",
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
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
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
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "owner", "name"], name="saved_view_name_unique")]

    def __str__(self) -> str:
        return f"Saved view “{self.name}”"


class MonitoringMethod(TenantOwned):
    """An entry of the clause 9.1.2 register: how the organisation monitors customers' perception."""

    audited_fields = ("name", "kind", "description", "owner", "review_frequency", "last_reviewed_on", "retired_at")

    class Kind(models.TextChoices):
        SURVEY = "survey", "Survey"
        INBOX_CHANNEL = "inbox_channel", "Feedback channel"
        MEETING = "meeting", "Customer meeting"
        MARKET_DATA = "market_data", "Market data"
        WARRANTY = "warranty", "Warranty and returns data"
        DEALER = "dealer", "Dealer / partner reports"
        COMPLIMENTS = "compliments", "Compliments and complaints"
        OTHER = "other", "Other"

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        HALF_YEARLY = "half_yearly", "Every six months"
        YEARLY = "yearly", "Yearly"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_frequency = models.CharField(max_length=20, choices=Frequency.choices, default=Frequency.QUARTERLY)
    last_reviewed_on = models.DateField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Not columns: set on the methods a page lists (feedback.selectors.methods, feedback.views.methods).
    next_review_on: date
    is_due: bool

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "kind"])]

    def __str__(self) -> str:
        return self.name


class MethodReview(TenantOwned):
    """One review of a monitoring method's effectiveness (clause 9.1.2 asks that the methods themselves be
    evaluated): when, by whom, what it concluded and why. Reviews are kept, never edited: the register's history."""

    class Outcome(models.TextChoices):
        EFFECTIVE = "effective", "Effective: keep it as it is"
        IMPROVE = "improve", "Works, but needs changes"
        INEFFECTIVE = "ineffective", "Not effective: replace or retire it"

    method = models.ForeignKey(MonitoringMethod, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    notes = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reviewed_on", "-created_at"]
        indexes = [models.Index(fields=["organization", "method", "reviewed_on"])]

    def __str__(self) -> str:
        return f"Review of {self.method_id} on {self.reviewed_on:%-d %b %Y}"
