from datetime import date, datetime
from typing import ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_scopes import ScopedManager

from .branding import validate_accent


def default_time_zone() -> str:
    return settings.TIME_ZONE


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=50,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Use lower-case letters, digits and hyphens."))],
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    logo = models.ImageField(
        _("logo"), upload_to="logos/", blank=True, help_text=_("Shown on public forms. PNG or JPEG.")
    )
    two_factor_required = models.BooleanField(
        _("two factor required"),
        default=False,
        help_text=_("Owners and auditors must sign in with a second factor (an authenticator app)."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        help_text=_("Dates and times on pages and in emails, and the days that deadlines and schedules count in."),
    )
    country = CountryField(_("country"), blank=True, help_text=_("Where the organisation is based."))
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("For members who have not chosen one, and for customers whose language is not known."),
    )
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[validate_accent],
        help_text=_("Buttons and highlights on the pages and emails your customers see; Closeloop's teal when blank."),
    )
    sender_name = models.CharField(
        _("sender name"),
        max_length=100,
        blank=True,
        help_text=_("The name your customers' emails come from; the organisation's name when blank."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name

    def today(self) -> date:
        """Today where the organisation works, in its time zone."""
        return timezone.localdate(timezone=self.zone())

    def zone(self) -> ZoneInfo:
        """The organisation's time zone (the site's, should the stored name no longer exist)."""
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(settings.TIME_ZONE)


class TenantTable(models.Model):
    """Marks a model whose table carries organization_id and gets the row-level security policy."""

    tenant_rls = True

    class Meta:
        abstract = True


class TenantOwned(TenantTable):
    # No index of its own: every tenant table has composite indexes that begin with organization_id (a test
    # checks), and a single-column one beside them would only cost every write.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", db_index=False)

    objects = ScopedManager(organization="organization")
    # The fields an audited write diffs (qms/audit/writes.py): declared by each model written through it.
    audited_fields: ClassVar[tuple[str, ...]]

    class Meta:
        abstract = True


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    STAFF = "staff", _("Staff")
    AUDITOR = "auditor", _("Auditor")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, *, now: datetime | None = None) -> Self:
        now = now or timezone.now()
        return self.filter(removed_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


MembershipManager = models.Manager.from_queryset(MembershipQuerySet)


class Membership(TenantOwned):
    audited_fields = ("role", "expires_at", "removed_at")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, help_text=_("Required for auditors."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    # Declared, so that Membership.objects has MembershipQuerySet's methods: django-scopes builds ScopedManager's
    # class at run time, and the type checker knows TenantOwned's `objects` only as an unknown manager.
    objects: ClassVar[MembershipManager["Membership"]] = ScopedManager(  # type: ignore[assignment]  # see above
        organization="organization", _manager_class=MembershipManager
    )

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=models.Q(removed_at__isnull=True),
                name="membership_one_active_per_user",
            ),
        ]
        indexes = [models.Index(fields=["organization", "role"])]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class LinkMiss(models.Model):
    """A public link asked for with a token that belongs to no organisation, by an address (a keyed hash of it):
    what qms.tenancy.public_links counts to stop guessing. Of no organisation; kept for an hour."""

    ip_hash = models.CharField(_("address hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("link miss")
        verbose_name_plural = _("link misses")
        indexes = [
            models.Index(fields=["ip_hash", "created_at"], name="link_miss_address"),
            models.Index(fields=["created_at"], name="link_miss_created"),
        ]

    def __str__(self) -> str:
        return f"link miss at {self.created_at:%Y-%m-%d %H:%M}"


from .references import ReferenceCounter  # noqa: E402,F401 - registered with the tenancy app
