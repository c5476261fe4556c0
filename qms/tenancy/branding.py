"""An organisation's branding on the pages and emails its customers see: its logo, its accent colour and the name
its emails come from. The accent is refused unless white text on it reads at WCAG AA (4.5:1), so a brand colour
can never make a customer's page or button unreadable; its darker and softer shades are derived from it."""

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # the model's field validates with this module: no import of the model at run time
    from .models import Organization

HEX = re.compile(r"^#[0-9a-f]{6}$")
PRODUCT_ACCENT = "#0f6e6e"  # static/css/closeloop.css --cl-accent, when an organisation has chosen none
MIN_CONTRAST = 4.5  # WCAG 2.1 AA, normal text: white on the accent (buttons, a chosen score)


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(channels: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0, min(255, c))):02x}" for c in channels)


def relative_luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour written #rrggbb."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


def validate_accent(value: str) -> None:
    if not HEX.match(value):
        raise ValidationError(_("Write the colour as # and six hexadecimal digits, for example #1d4ed8."))
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "White text on this colour has a contrast of %(ratio).1f:1; customers need at least 4.5:1 to read "
                "it. Choose a darker shade."
            ),
            params={"ratio": ratio},
        )


def _mix(colour: str, other: tuple[int, int, int], share: float) -> str:
    return _hex(tuple(c + (o - c) * share for c, o in zip(_channels(colour), other, strict=True)))  # type: ignore[arg-type]


def palette(organization: "Organization") -> dict[str, str]:
    """The accent and its shades: `dark` for hover and focus rings, `soft` for tinted backgrounds."""
    accent = organization.accent_colour or PRODUCT_ACCENT
    return {"accent": accent, "dark": _mix(accent, (0, 0, 0), 0.25), "soft": _mix(accent, (255, 255, 255), 0.88)}


def sender_name(organization: "Organization") -> str:
    """The display name of the emails sent on the organisation's behalf (the address stays the site's)."""
    return organization.sender_name or organization.name
