"""Two-factor sign-in: an authenticator app's codes (TOTP, RFC 6238) and single-use recovery codes (django-otp).

Anyone may turn it on for their account; an organisation can require it of its owners and auditors
(Organization.two_factor_required, checked by qms.tenancy.middleware). Once a person has it, every sign-in asks
for a code (qms.accounts.middleware). API tokens are unaffected: a token is its own credential. The later
electronic signatures ask for a fresh code with `verify_second_factor`.
"""

import secrets

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from qms.tenancy.models import Organization, Role

from .models import User

# Whom an organisation's "two-factor sign-in required" applies to: those who hold its keys and its auditors.
SECOND_FACTOR_ROLES = (Role.OWNER, Role.AUDITOR)
REQUIRED = _("{organization} requires two-factor sign-in of its owners and auditors: set it up to continue.")
APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"
WRONG_CODE = _(
    "That code is not right, or it has expired, or it came too soon after a wrong one: wait a few seconds, then "
    "enter the code your authenticator app shows now."
)


def authenticator(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if they turned two-factor sign-in on."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def has_two_factor(user: User) -> bool:
    return authenticator(user) is not None


def second_factor_missing(user: User, *, organization: Organization, role: str) -> bool:
    """Whether the organisation requires a second factor of this role and this session has not given one."""
    return (
        organization.two_factor_required
        and role in SECOND_FACTOR_ROLES
        and not getattr(user, "is_verified", lambda: False)()
    )


def two_factor_setup_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for the person to scan (an earlier unconfirmed one is replaced)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


def pending_authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code, rendered here (no third party sees the secret)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    words = escape(_("QR code to scan with your authenticator app"))
    label = f'role="img" aria-label="{words}" '
    return image.to_string(encoding="unicode").replace("<svg ", f"<svg {label}", 1)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def two_factor_confirm(*, user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on with the first code of the scanned authenticator; returns the recovery codes,
    shown once."""
    with transaction.atomic():
        device = pending_authenticator(user)
        if device is None:
            raise ValidationError({"code": _("Start the set-up again: no authenticator is waiting to be confirmed.")})
        if not device.verify_token(_normalised(code)):
            raise ValidationError({"code": WRONG_CODE})
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return _new_recovery_codes(user)


def verify_second_factor(*, user: User, code: str) -> Device | None:
    """The device a code belongs to (the authenticator's current code, or an unused recovery code, which is then
    used up), or None. Each device throttles wrong guesses (django-otp)."""
    entered = _normalised(code)
    if not entered:
        return None
    device = authenticator(user)
    if device is not None and entered.isdigit() and device.verify_token(entered):
        return device
    for recovery in StaticDevice.objects.devices_for_user(user, confirmed=True):
        if recovery.verify_token(entered):
            return recovery
    return None


def recovery_codes_renew(*, user: User, code: str) -> list[str]:
    if verify_second_factor(user=user, code=code) is None:
        raise ValidationError({"code": WRONG_CODE})
    with transaction.atomic():
        return _new_recovery_codes(user)


def two_factor_disable(*, user: User, code: str) -> None:
    if verify_second_factor(user=user, code=code) is None:
        raise ValidationError({"code": WRONG_CODE})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
