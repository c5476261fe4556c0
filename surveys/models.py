"""Surveys (ISO 9001 clause 9.1.2: asking customers how well their needs and expectations were met): the survey and
its versions of questions and texts, the sends and invitations that reach customers, and their responses.

A version that has been sent is locked: its questions never change under its answers, and editing the survey
starts a new version. Every response points to the version its customer saw. Texts are kept per version: the
default language's in the questions and `texts`, every other language's in `translations`.
"""

from typing import Any, ClassVar, cast

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import TenantOwned
from qms.workflows import Transition, Workflow


class Survey(TenantOwned):
    audited_fields = (
        "name", "description", "status", "privacy", "default_language", "anonymity_threshold", "kept_attributes",
        "public_link_enabled", "thank_you_url", "invitation_days", "is_template", "archived_at",
    )  # fmt: skip
    # Its active follow-up rules when they were read with it (a survey link's one read, surveys.selectors.links);
    # None when they were not, and matching an answer reads them (surveys.services.loop).
    active_rules: "list[LoopRule] | None" = None

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Privacy(models.TextChoices):
        IDENTIFIED = "identified", _("Identified")
        ANONYMOUS = "anonymous", _("Anonymous")

    class Attribute(models.TextChoices):
        """What an anonymous answer may keep of its respondent, chosen per survey."""

        SEGMENT = "segment", _("Customer segment")
        REGION = "region", _("Customer region")
        KIND = "kind", _("Customer kind")
        LANGUAGE = "language", _("Language")

    reference = models.CharField(_("reference"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(
        _("description"), blank=True, help_text=_("For your colleagues; customers never see it.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    privacy = models.CharField(
        _("privacy"),
        max_length=16,
        choices=Privacy.choices,
        default=Privacy.IDENTIFIED,
        help_text=_("Anonymous answers cannot be traced back to a contact. Fixed once the survey has answers."),
    )
    default_language = models.CharField(_("default language"), max_length=10, default="en")
    anonymity_threshold = models.PositiveSmallIntegerField(
        _("smallest group shown"),
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_("Anonymous answers are released and shown only in groups of at least this many."),
    )
    kept_attributes = models.JSONField(
        _("attributes kept"), default=list, blank=True, help_text=_("What an anonymous answer keeps of its respondent.")
    )
    public_link_enabled = models.BooleanField(
        _("public link"),
        default=False,
        help_text=_("A link anyone can answer, for a QR code on a receipt or a counter."),
    )
    # The public link is printed on receipts and counters: no secret, so its token is kept to be shown again; it is
    # looked up by its hash like every other link (surveys.selectors.links).
    public_token = models.CharField(max_length=32, blank=True, editable=False)
    public_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    thank_you_url = models.URLField(_("link on the thank-you page"), blank=True)
    invitation_days = models.PositiveSmallIntegerField(
        _("invitations expire after (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    is_template = models.BooleanField(_("saved as a template"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    workflow: ClassVar[Workflow]  # declared below the class

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "reference"], name="survey_reference_unique"),
            models.UniqueConstraint(
                fields=["public_token_hash"], condition=~models.Q(public_token_hash=""), name="survey_public_token"
            ),
        ]
        indexes = [models.Index(fields=["organization", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def link_label(self) -> str:
        return self.reference

    @property
    def is_anonymous(self) -> bool:
        return self.privacy == self.Privacy.ANONYMOUS

    def get_absolute_url(self) -> str:
        return reverse("surveys:survey_detail", kwargs={"org_slug": self.organization.slug, "survey_id": self.pk})


_S, MANAGE = Survey.Status, "surveys.manage"
Survey.workflow = Workflow(
    "status",
    [
        Transition("open", (_S.DRAFT,), _S.OPEN, "surveys.send", "Open", "opened", automatic=True),  # at its first send
        Transition(
            "close", (_S.OPEN,), _S.CLOSED, MANAGE, cast(str, _("Close the survey")), cast(str, _("closed")),
            refused=cast(str, _("Only an open survey can be closed.")),
        ),
        Transition(
            "reopen", (_S.CLOSED,), _S.OPEN, MANAGE, cast(str, _("Reopen the survey")), cast(str, _("reopened")),
            refused=cast(str, _("Only a closed survey can be reopened.")),
        ),
    ],
    noun=cast(str, _("survey")),
)  # fmt: skip


class SurveyVersion(TenantOwned):
    """The questions and texts one set of customers saw. Locked at its first send; never changed after."""

    audited_fields = ("number", "locked_at")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # The default language's survey-level texts: the email's subject and message, the welcome and thank-you pages.
    texts = models.JSONField(default=dict, blank=True)
    # Every other language: {"de": {"q.<code>.text": "...", "email.subject": "...", "ui.submit": "...", ...}}
    translations = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    locked_at = models.DateTimeField(_("sent first"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey version")
        verbose_name_plural = _("survey versions")
        ordering = ["survey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "survey", "number"], name="survey_version_unique")
        ]
        indexes = [models.Index(fields=["organization", "survey", "number"], name="surveys_version_survey")]

    def __str__(self) -> str:
        return f"{self.survey.reference} v{self.number}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def languages(self) -> list[str]:
        """The default language first, then each translation's."""
        default = self.survey.default_language
        return [default, *sorted(lang for lang in self.translations if lang != default)]


class Question(TenantOwned):
    class Kind(models.TextChoices):
        NPS = "nps", _("Net Promoter Score (0–10)")
        CSAT = "csat", _("Satisfaction (1–5)")
        CES = "ces", _("Customer effort (1–7)")
        RATING = "rating", _("Rating (1–N)")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")

    class Operator(models.TextChoices):
        EQUALS = "equals", _("is")
        IN = "in", _("is one of")
        AT_MOST = "at_most", _("is at most")
        AT_LEAST = "at_least", _("is at least")

    SCALES: ClassVar[dict[str, tuple[int, int]]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    SCORED: ClassVar[tuple[str, ...]] = ("nps", "csat", "ces", "rating")
    CHOICES: ClassVar[tuple[str, ...]] = ("single", "multiple")

    version = models.ForeignKey(
        SurveyVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveIntegerField(_("position"))
    # Stable across versions: the same code in two versions is the same question (results compare it when its kind
    # and scale are the same too).
    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("question"))
    help_text = models.TextField(_("help text"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    scale_max = models.PositiveSmallIntegerField(
        _("highest rating"), null=True, blank=True, validators=[MinValueValidator(2), MaxValueValidator(10)]
    )
    low_label = models.CharField(_("label of the lowest value"), max_length=100, blank=True)
    high_label = models.CharField(_("label of the highest value"), max_length=100, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)  # [{"value": "price", "label": "Price"}]
    new_page = models.BooleanField(_("starts a new page"), default=False)
    # Shown only when an earlier answer matches: {"question": "<code>", "op": "at_most", "value": 6}
    condition = models.JSONField(_("shown when"), default=dict, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "version", "code"], name="question_code_unique"),
        ]
        indexes = [models.Index(fields=["organization", "version", "position"])]

    def __str__(self) -> str:
        return self.text

    @property
    def scale(self) -> tuple[int, int] | None:
        """The lowest and highest score of a scored question."""
        if self.kind == self.Kind.RATING:
            return (1, self.scale_max or 5)
        return self.SCALES.get(self.kind)

    @property
    def meaning(self) -> tuple[str, Any]:
        """Two versions' questions of one code mean the same when this is equal: their kind and scale."""
        return (self.kind, self.scale)


class SurveySend(TenantOwned):
    """One send of a survey version to an audience: a one-off send from the survey's page, or one transactional
    invitation asked for through the API."""

    audited_fields = ("invited", "skipped")

    class Kind(models.TextChoices):
        ONE_OFF = "one_off", _("One-off send")
        TRANSACTIONAL = "transactional", _("Transactional")
        CAMPAIGN = "campaign", _("Campaign wave")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="sends")
    campaign = models.ForeignKey(
        "Campaign", verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT, related_name="sends"
    )
    version = models.ForeignKey(SurveyVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ONE_OFF)
    audience = models.JSONField(_("audience"), default=dict, blank=True)  # how it was chosen, for the page
    invited = models.PositiveIntegerField(_("invited"), default=0)
    skipped = models.JSONField(_("skipped"), default=dict, blank=True)  # {"opted_out": 3, "no_email": 1, ...}
    expires_at = models.DateTimeField(_("invitations expire"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, blank=True)
    campaign_key = models.CharField(_("campaign"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("survey send")
        verbose_name_plural = _("survey sends")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="survey_send_idempotency",
            )
        ]
        indexes = [models.Index(fields=["organization", "survey", "created_at"])]

    def __str__(self) -> str:
        return f"{self.survey.reference} · {self.created_at:%Y-%m-%d %H:%M}"


class Invitation(TenantOwned):
    """One contact's link to a survey. Only the token's hash is kept; the link is in the email alone."""

    audited_fields = ("revoked_at",)

    send = models.ForeignKey(SurveySend, verbose_name=_("send"), on_delete=models.PROTECT, related_name="invitations")
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(SurveyVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="survey_invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=10)
    message = models.ForeignKey(
        OutboxMessage, verbose_name=_("email"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("invited"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    # For an anonymous survey only the day is kept, so that it cannot be matched to an answer by the time.
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # A campaign wave spread over several days: the day this invitation goes out on (0: the wave's first).
    batch = models.PositiveIntegerField(_("day"), default=0, db_default=0)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0, db_default=0)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "send"]),
            models.Index(fields=["organization", "survey", "contact"]),
            models.Index(fields=["organization", "contact"]),
        ]

    def __str__(self) -> str:
        return f"{self.survey.reference} → {self.contact.audit_name}"

    @property
    def audit_name(self) -> str:
        return f"Invitation #{self.pk}"


class PartialResponse(TenantOwned):
    """What a respondent has answered so far, page by page, so a closed tab loses nothing. Deleted once submitted
    (for an anonymous survey this is the only row that ever joins their answers to their invitation)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="partial")
    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="+")
    page = models.PositiveSmallIntegerField(default=0)
    language = models.CharField(max_length=10)
    answers = models.JSONField(default=dict)  # {"<code>": value}
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "version"])]


class Response(TenantOwned):
    """A submitted answer to a survey: append-only. An identified response names its invitation and contact; an
    anonymous one keeps only its day, its language and the attributes the survey keeps, and is written in a
    shuffled batch (surveys.services.anonymity)."""

    class Source(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        PUBLIC_LINK = "public_link", _("Anonymous link")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="responses")
    version = models.ForeignKey(SurveyVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+")
    send = models.ForeignKey(
        SurveySend, verbose_name=_("send"), null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    invitation = models.OneToOneField(
        Invitation,
        verbose_name=_("invitation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="response",
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.INVITATION)
    language = models.CharField(_("language"), max_length=10)
    submitted_on = models.DateField(_("answered on"))
    submitted_at = models.DateTimeField(_("answered"), null=True, blank=True)  # identified responses only
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    digest = models.CharField(max_length=64)  # sha256 of its canonical content (surveys.services.integrity)
    seal = models.ForeignKey(
        "ResponseSeal", null=True, blank=True, on_delete=models.PROTECT, related_name="responses", editable=False
    )
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_on", "-pk"]
        indexes = [
            models.Index(fields=["organization", "survey", "submitted_on"]),
            models.Index(fields=["organization", "contact"]),
            models.Index(
                fields=["organization", "survey"],
                condition=models.Q(seal__isnull=True),
                name="surveys_response_unsealed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.reference} #{self.pk}"

    @property
    def link_label(self) -> str:
        """How a linked record names it (a follow-up in the inbox): without reading its survey."""
        return str(_("Survey response %(number)s") % {"number": self.pk})

    def get_absolute_url(self) -> str:
        return reverse(
            "surveys:response_detail",
            kwargs={"org_slug": self.organization.slug, "survey_id": self.survey_id, "response_id": self.pk},
        )


class Answer(TenantOwned):
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)  # a score
    text = models.TextField(blank=True)  # a text answer, or a single choice's value
    choices = models.JSONField(default=list, blank=True)  # a multiple choice's values

    class Meta:
        indexes = [
            models.Index(fields=["organization", "question", "number"]),
            models.Index(fields=["organization", "response"]),
        ]

    @property
    def choice_labels(self) -> list[str]:
        """The options chosen, as the survey's own language words them (a value no longer offered, as stored)."""
        question = self.question
        if question.kind not in Question.CHOICES:
            return []
        labels = {choice["value"]: choice.get("label") or choice["value"] for choice in question.choices or []}
        values = self.choices or ([self.text] if self.text else [])
        return [labels.get(value, value) for value in values]


class AnonymousSubmission(TenantOwned):
    """An anonymous answer waiting to be released: no invitation, no contact, no time finer than the day. Released
    into responses in shuffled batches of at least the survey's threshold, then deleted."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, choices=Response.Source.choices)
    language = models.CharField(max_length=10)
    submitted_on = models.DateField()
    attributes = models.JSONField(default=dict, blank=True)
    answers = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["organization", "survey", "version"])]


class ResponseSeal(TenantOwned):
    """A sealed batch of a survey's responses: the hash of the previous seal and of each response's digest, in
    order. Answering takes no lock; a periodic job seals what arrived, one chain per survey
    (surveys.services.integrity), so a response changed or removed after its seal no longer verifies."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="seals")
    seq = models.PositiveIntegerField()
    count = models.PositiveIntegerField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "survey", "seq"], name="response_seal_seq")]
        indexes = [models.Index(fields=["organization", "survey", "seq"], name="surveys_seal_survey")]


class PublicLinkAnswer(TenantOwned):
    """When an address last answered through a survey's public link: its limit per hour, kept an hour. It holds
    no response, and a response through the link holds no address, so the two cannot be joined."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    address_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "survey", "address_hash", "created_at"])]


class LoopRule(TenantOwned):
    """A rule of the closed loop: when a response's answer to a question matches ("NPS at most 6", "any answer to
    `why` contains 'late'"), a follow-up is opened in the feedback inbox and given to someone who owns it."""

    audited_fields = ("question_code", "condition", "value", "assign_to", "assignee", "active", "deleted_at")

    class Condition(models.TextChoices):
        AT_MOST = "at_most", _("is at most")
        AT_LEAST = "at_least", _("is at least")
        EQUALS = "equals", _("is")
        CONTAINS = "contains", _("contains")

    class AssignTo(models.TextChoices):
        ACCOUNT_OWNER = "account_owner", _("The customer's account owner")
        PERSON = "person", _("A named person")

    NUMERIC: ClassVar[tuple[str, ...]] = ("at_most", "at_least")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="loop_rules")
    question_code = models.SlugField(_("question"), max_length=40)  # a code: the rule holds across versions
    condition = models.CharField(_("condition"), max_length=16, choices=Condition.choices)
    value = models.CharField(_("value"), max_length=200)
    assign_to = models.CharField(
        _("assign to"), max_length=16, choices=AssignTo.choices, default=AssignTo.ACCOUNT_OWNER
    )
    # The named person; with the account owner, whom a follow-up goes to when the customer has none (or none can be
    # known: an anonymous answer). Nobody named: the follow-up waits unassigned, and the managers hear of it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["organization", "survey", "active"], name="surveys_loop_rule_active")]

    def __str__(self) -> str:
        return f"{self.question_code} {self.get_condition_display()} {self.value}"

    def matches(self, answer: Any) -> bool:
        """Whether an answer as given (a score, a text, a list of choices) meets the rule."""
        if answer is None or answer == "" or answer == []:
            return False
        if self.condition in self.NUMERIC:
            if not isinstance(answer, int) or isinstance(answer, bool):
                return False
            limit = int(self.value)
            return answer <= limit if self.condition == self.Condition.AT_MOST else answer >= limit
        values = [str(v) for v in answer] if isinstance(answer, list) else [str(answer)]
        if self.condition == self.Condition.EQUALS:
            return self.value in values
        wanted = self.value.casefold()
        return any(wanted in value.casefold() for value in values)


class FollowUp(TenantOwned):
    """A response that met the survey's follow-up rules: written with the response (in its transaction, so it is
    never lost and never made twice), then opened as an item of the feedback inbox by a worker."""

    response = models.OneToOneField(
        Response, verbose_name=_("response"), on_delete=models.PROTECT, related_name="follow_up"
    )
    rule = models.ForeignKey(LoopRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="follow_ups")
    matched = models.JSONField(_("matched"), default=list)  # the ids of every rule the response met
    item = models.OneToOneField(
        "feedback.FeedbackItem",
        verbose_name=_("follow-up"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        # the worker's "waiting" (item IS NULL) and an item's follow-up, each within the organisation
        indexes = [models.Index(fields=["organization", "item"], name="surveys_follow_up_item")]


class OutreachRule(TenantOwned):
    """The organisation's contact-fatigue rule: how often a contact may be invited at most. Campaign waves apply
    `campaign_days` across every campaign; transactional sends (the API's "send this survey now") their own."""

    audited_fields = ("campaign_days", "transactional_days")

    campaign_days = models.PositiveSmallIntegerField(
        _("days between campaign invitations"),
        default=30,
        validators=[MaxValueValidator(365)],
        help_text=_("No contact is invited by a campaign more than once in this many days, across all campaigns. 0: "
                    "no limit."),
    )  # fmt: skip
    transactional_days = models.PositiveSmallIntegerField(
        _("days between transactional invitations"),
        default=0,
        validators=[MaxValueValidator(365)],
        help_text=_("No contact is sent a transactional survey more than once in this many days. 0: no limit."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("contact rule")
        verbose_name_plural = _("contact rules")
        constraints = [models.UniqueConstraint(fields=["organization"], name="surveys_outreach_rule_unique")]

    def __str__(self) -> str:
        return f"At most one campaign invitation every {self.campaign_days} days"

    @property
    def audit_name(self) -> str:
        return "Contact rule"


class Campaign(TenantOwned):
    """A survey sent to an audience on a schedule, with reminders and an expiry (ISO 9001 9.1.2: monitoring that is
    planned and regular). Its waves and reminders are `CampaignStep` rows with a due time that beat claims; each
    wave is a `SurveySend` of kind campaign, its invitations created set-based when the wave is built."""

    audited_fields = (
        "name", "kind", "leader", "status", "version", "audience", "audience_value", "every", "every_days",
        "start_on", "at", "per_day", "expiry_days", "reminders", "ended_at",
    )  # fmt: skip

    class Kind(models.TextChoices):
        SURVEY = "survey", _("Survey by email")
        # ISO 9001 5.1.2 in practice: a leader talks with each key customer; no email goes to the customer
        CHECK_IN = "check_in", _("Leadership check-in")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    class Audience(models.TextChoices):
        SEGMENT = "segment", _("Every contact of a segment")
        REGION = "region", _("Every contact of a region")
        SAVED_VIEW = "saved_view", _("A saved view of the directory")
        LIST = "list", _("An uploaded list")
        API = "api", _("Contacts added through the API")

    class Every(models.TextChoices):
        ONCE = "once", _("Once")
        MONTH = "monthly", _("Monthly")
        QUARTER = "quarterly", _("Quarterly")
        HALF_YEAR = "half_yearly", _("Half-yearly")
        YEAR = "yearly", _("Yearly")
        DAYS = "days", _("Every N days")

    reference = models.CharField(_("reference"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SURVEY, db_default="survey")
    # A survey campaign's survey; a check-in has none (its conversations are recorded as feedback items).
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns"
    )
    # A check-in's named leader, who holds every conversation; without one, each customer's account owner does.
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("leader"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    # The version every wave sends, fixed at launch (the survey's latest then); locked like any sent version.
    version = models.ForeignKey(
        SurveyVersion, verbose_name=_("version"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.SEGMENT)
    # The segment's or region's name, or the saved view's id; empty for a list or the API.
    audience_value = models.CharField(_("segment, region or view"), max_length=200, blank=True)
    every = models.CharField(_("repeat"), max_length=16, choices=Every.choices, default=Every.ONCE)
    every_days = models.PositiveSmallIntegerField(
        _("every N days"), default=0, validators=[MaxValueValidator(366)], help_text=_("For “Every N days”.")
    )
    start_on = models.DateField(_("first wave on"))
    at = models.TimeField(_("at"), help_text=_("In the organisation's time zone."))
    per_day = models.PositiveIntegerField(
        _("invitations per day"),
        default=0,
        help_text=_("Spread each wave over several days, this many a day, to smooth the answers. 0: all at once."),
    )
    expiry_days = models.PositiveSmallIntegerField(
        _("invitations expire after (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # [{"after_days": 4, "subject": {"en": "...", "de": "..."}, "body": {"en": "...", ...}}, ...] in sending order
    reminders = models.JSONField(_("reminders"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    workflow: ClassVar[Workflow]  # declared below the class

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["organization", "reference"], name="campaign_reference_unique")]
        indexes = [models.Index(fields=["organization", "status", "created_at"], name="surveys_campaign_status")]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def link_label(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("surveys:campaign_detail", kwargs={"org_slug": self.organization.slug, "campaign_id": self.pk})


_C, SEND = Campaign.Status, "surveys.send"
Campaign.workflow = Workflow(
    "status",
    [
        Transition(
            "launch", (_C.DRAFT,), _C.RUNNING, SEND, cast(str, _("Launch")), cast(str, _("launched")),
            refused=cast(str, _("Only a draft campaign can be launched.")),
        ),
        Transition(
            "pause", (_C.RUNNING,), _C.PAUSED, SEND, cast(str, _("Pause")), cast(str, _("paused")),
            refused=cast(str, _("Only a running campaign can be paused.")),
        ),
        Transition(
            "resume", (_C.PAUSED,), _C.RUNNING, SEND, cast(str, _("Resume")), cast(str, _("resumed")),
            refused=cast(str, _("Only a paused campaign can be resumed.")),
        ),
        Transition(
            "cancel", (_C.DRAFT, _C.RUNNING, _C.PAUSED), _C.CANCELLED, SEND, cast(str, _("Cancel the campaign")),
            cast(str, _("cancelled")), refused=cast(str, _("A finished or cancelled campaign cannot be cancelled.")),
        ),
        Transition("finish", (_C.RUNNING,), _C.FINISHED, SEND, "Finish", "finished", automatic=True),
    ],
    noun=cast(str, _("campaign")),
)  # fmt: skip


class CampaignMember(TenantOwned):
    """A contact named for a campaign one by one: from an uploaded list, or added through the API after a
    transaction (the transactional endpoint's `campaign`). A list's members are invited at every wave; the API's
    at the first wave after they were added."""

    class Source(models.TextChoices):
        LIST = "list", _("Uploaded list")
        API = "api", _("API")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=8, choices=Source.choices)
    added_at = models.DateTimeField(default=timezone.now)
    invited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        constraints = [
            models.UniqueConstraint(fields=["organization", "campaign", "contact"], name="campaign_member_unique")
        ]


class CampaignStep(TenantOwned):
    """A wave or a reminder of a campaign, due at a time: beat claims due steps (locked, skip_locked) and does each
    in the transaction that marks it done, so two beats never do one twice. A wave spread over several days has
    one batch per day; each batch has its own reminders."""

    class Kind(models.TextChoices):
        WAVE = "wave", _("Wave")
        REMINDER = "reminder", _("Reminder")
        EXPIRY = "expiry", _("Expiry")  # the wave's last invitations expire: a campaign with nothing left finishes

    class State(models.TextChoices):
        DUE = "due", _("Due")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")  # its time passed while the campaign was paused
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    wave = models.PositiveIntegerField(_("wave"))  # 1, 2, … in the campaign
    reminder = models.PositiveSmallIntegerField(_("reminder"), default=0)  # 1, 2, … for a reminder; 0 for a wave
    batch = models.PositiveIntegerField(_("day"), default=0)  # a spread wave's day, from 0
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DUE)
    send = models.ForeignKey(
        "SurveySend", verbose_name=_("send"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)  # {"invited": 9, "skipped": {"fatigue": 2}}

    class Meta:
        verbose_name = _("campaign step")
        verbose_name_plural = _("campaign steps")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "campaign", "kind", "wave", "reminder", "batch"], name="campaign_step_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "state", "due_at"], name="surveys_campaign_step_due")]

    def __str__(self) -> str:
        return f"{self.campaign.reference} wave {self.wave}" + (f" reminder {self.reminder}" if self.reminder else "")


class CampaignExclusion(TenantOwned):
    """A contact a wave left out, and why: what the campaign page counts and lists."""

    class Reason(models.TextChoices):
        OPTED_OUT = "opted_out", _("Opted out")
        UNDELIVERABLE = "undeliverable", _("Undeliverable")
        NO_EMAIL = "no_email", _("No email address")
        FATIGUE = "fatigue", _("Invited recently")
        LANGUAGE = "language", _("Language not translated")

    step = models.ForeignKey(CampaignStep, on_delete=models.CASCADE, related_name="exclusions")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)

    class Meta:
        verbose_name = _("campaign exclusion")
        verbose_name_plural = _("campaign exclusions")
        indexes = [models.Index(fields=["organization", "step", "reason"], name="surveys_campaign_exclusion")]


class CheckIn(TenantOwned):
    """A conversation a leader is to hold with a key customer by a due date: one per customer and wave of a
    leadership check-in campaign. Its outcome is recorded as a feedback item of channel "meeting", which it links."""

    audited_fields = ("state", "held_on", "item")

    class State(models.TextChoices):
        OPEN = "open", _("To hold")
        HELD = "held", _("Held")
        MISSED = "missed", _("Not held in time")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="check_ins")
    wave = models.PositiveIntegerField(_("wave"))
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("held by"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    item = models.OneToOneField(
        "feedback.FeedbackItem", verbose_name=_("feedback item"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="check_in",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "campaign", "wave", "customer"], name="check_in_unique")
        ]
        indexes = [models.Index(fields=["organization", "campaign", "state"], name="surveys_checkin_state")]

    def __str__(self) -> str:
        return f"Check-in with {self.customer}"

    @property
    def audit_name(self) -> str:
        return f"Check-in with {self.customer}"

    def get_absolute_url(self) -> str:
        return reverse(
            "surveys:check_in_record",
            kwargs={"org_slug": self.organization.slug, "campaign_id": self.campaign_id, "check_in_id": self.pk},
        )
