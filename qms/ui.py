"""The design system's template tags (`{% load ui %}`, registered in settings.TEMPLATES): icons, sortable column
headers, status badges and the human wording of audit events. The partials they render are in templates/partials/.

Icons are heroicons' outline set, drawn as inline SVG on the server: no icon font, no request, no style attribute
(the Content-Security-Policy forbids one), and hidden from assistive technology, since every icon sits beside words.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import heroicons
from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.http import HttpRequest
from django.template.base import FilterExpression, token_kwargs
from django.utils import dateformat, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

from qms.audit.phrases import audit_phrase
from qms.modules import audit_action_label
from qms.sorting import PARAM, Sorting

register = template.Library()

# A workflow state or severity -> the badge's tone (a class in static/css/closeloop.css). Tones: info, progress,
# success, warning, danger, neutral. A new module adds its states here, so the same word has the same colour
# everywhere.
TONES = {
    "new": "info",
    "open": "info",
    "pending": "info",
    "preview": "info",
    "queued": "info",
    "in_progress": "progress",
    "checking": "progress",
    "importing": "progress",
    "sending": "progress",
    "closed": "neutral",
    "cancelled": "neutral",
    "retired": "neutral",
    "archived": "neutral",
    "revoked": "neutral",
    "unknown": "neutral",
    "neutral": "neutral",
    "done": "success",
    "sent": "success",
    "accepted": "success",
    "granted": "success",
    "effective": "success",  # a monitoring method's review
    "improve": "warning",
    "ineffective": "danger",
    "positive": "success",
    "active": "success",
    "due": "warning",
    "opted_out": "warning",
    "expired": "warning",
    "medium": "warning",
    "failed": "danger",
    "overdue": "danger",
    "negative": "danger",
    "high": "danger",
    "critical": "danger",
    "low": "neutral",
}
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"


@register.simple_tag
def icon(name: str, size: int = 18, css: str = "") -> SafeString:
    """A heroicon (outline), decorative: `{% icon "inbox" %}`, `{% icon "plus" 16 "me-1" %}`."""
    classes = f"icon {css}".strip()
    svg = heroicons._render_icon("outline", name, size, {"class": classes, "stroke-width": "1.75"})
    return mark_safe(svg)  # noqa: S308 - the package's own SVG; the name only picks a file from its archive


@register.filter
def language_label(code: str) -> str:
    """A language's name in the reader's language ("en-gb" → "British English", "Britisches Englisch"); a code
    Django does not know stays as it is."""
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code


@register.filter
def tone(value: object) -> str:
    return TONES.get(str(value), "neutral")


@register.inclusion_tag("partials/status_badge.html")
def status_badge(value: object, label: object = "") -> dict[str, Any]:
    """`{% status_badge item.status item.get_status_display %}`: the state's colour and its words."""
    return {"tone": tone(value), "label": label or capfirst(str(value).replace("_", " "))}


@register.inclusion_tag("partials/sort_header.html", takes_context=True)
def sort_header(context: template.Context, label: str, key: str, css: str = "") -> dict[str, Any]:
    """A sortable column's <th>: a link that sorts by `key`, reversing the current order when it is already by
    `key`, keeping the other query parameters (but going back to page 1), and the th's aria-sort."""
    request: HttpRequest = context["request"]
    sorting: Sorting = context.get("sorting") or Sorting()
    current = sorting.key == key
    query = request.GET.copy()
    query.pop("page", None)
    query[PARAM] = f"-{key}" if current and not sorting.descending else key
    direction = ("descending" if sorting.descending else "ascending") if current else ""
    return {"label": label, "href": f"?{query.urlencode()}", "aria_sort": direction, "css": css}


def _model(object_type: str) -> type[Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@register.filter
def model_label(object_type: str) -> str:
    """ "feedback.feedbackitem" -> "Feedback item"."""
    model = _model(object_type)
    return capfirst(str(model._meta.verbose_name)) if model else capfirst(object_type.rpartition(".")[2])


@register.filter
def action_label(action: str) -> str:
    """What a timeline calls an audit action: its module's words, else the action's own, made readable."""
    label = audit_action_label(action)
    if label != action:
        return label
    return capfirst(action.rpartition(".")[2].replace("_", " "))


def _readable(field: Any, value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(_readable(field, v) for v in value)
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, str):
        try:
            when = parse_datetime(value) if len(value) > 10 else None
            day = parse_date(value) if len(value) == 10 else None
        except ValueError:  # shaped like a date, but not one ("2026-02-31"): the text as it was stored
            return value
        if when is not None:
            return dateformat.format(when, DATETIME_FORMAT)
        if day is not None:
            return dateformat.format(datetime.datetime.combine(day, datetime.time()), DATE_FORMAT)
    return str(value)


@register.filter
def changes(event: Any) -> list[dict[str, str]]:
    """An audit event's changes as rows a person reads: the field's label, and each value in words (a choice's
    label, a date as "27 Nov 2026"). A field the model no longer has keeps its name, made readable."""
    model = _model(event.object_type)
    rows = []
    for name, values in (event.changes or {}).items():
        try:
            field = model._meta.get_field(name) if model else None
        except FieldDoesNotExist:
            field = None
        label = capfirst(str(getattr(field, "verbose_name", "") or name.replace("_", " ")))
        before, after = values if isinstance(values, list) and len(values) == 2 else (None, values)
        rows.append(
            {"name": name, "field": label, "before": _readable(field, before), "after": _readable(field, after)}
        )
    return rows


class _FramedNode(template.Node):
    """A partial wrapped around the tag's body: `{% page_header title="…" %}<a class="btn">…</a>{% end_page_header %}`
    renders partials/page_header.html with the keyword arguments and the body as `body`."""

    def __init__(self, partial: str, kwargs: dict[str, FilterExpression], nodelist: template.NodeList) -> None:
        self.partial, self.kwargs, self.nodelist = partial, kwargs, nodelist

    def render(self, context: template.Context) -> str:
        values = {name: value.resolve(context) for name, value in self.kwargs.items()}
        body = self.nodelist.render(context).strip()
        partial = context.template.engine.get_template(self.partial) if context.template else None
        if partial is None:  # pragma: no cover - a tag always renders inside a template
            return body
        with context.push(**values, body=mark_safe(body)):  # noqa: S308 - the body is rendered, so escaped
            return partial.render(context)


def _framed(partial: str, end: str) -> Any:
    def compile_tag(parser: template.base.Parser, token: template.base.Token) -> _FramedNode:
        bits = token.split_contents()[1:]
        kwargs = token_kwargs(bits, parser)
        if bits:
            raise template.TemplateSyntaxError(f"{token.contents.split()[0]} takes keyword arguments only")
        nodelist = parser.parse((end,))
        parser.delete_first_token()
        return _FramedNode(partial, kwargs, nodelist)

    return compile_tag


# {% page_header title="…" subtitle="…" parent="Customers" parent_url=url %}…actions…{% end_page_header %}
register.tag("page_header", _framed("partials/page_header.html", "end_page_header"))
# {% card title="…" icon="…" %}…body…{% end_card %}
register.tag("card", _framed("partials/card.html", "end_card"))


_TOKEN = re.compile(r"\b[a-z]+_[a-z_]+\b")


@register.filter
def code_tokens(text: object) -> SafeString:
    """Text whose snake_case words are values a person types into a file (`opted_out`): escaped, and each such
    word shown as code, so that it reads as something to type, not as the page's own words."""
    return mark_safe(_TOKEN.sub(lambda m: f"<code>{m.group(0)}</code>", str(escape(text))))  # noqa: S308 - escaped first


_DEFAULT_STR = re.compile(r"^[A-Za-z]+ object \((?P<pk>[^)]*)\)$")


@register.filter
def record_label(event: Any) -> str:
    """What an audit event names its record: its stored label, unless that is Django's default str()
    ("SavedView object (1)", for a model without one), which reads as "Saved view 1" instead."""
    label = str(event.object_repr or "")
    match = _DEFAULT_STR.match(label)
    if match is None:
        return label
    return f"{model_label(event.object_type)} {event.object_id or match.group('pk')}".strip()


@register.filter
def is_creation(event: Any) -> bool:
    """An event that only filled fields in (a record's creation): the record's page already shows the values, so a
    timeline folds them away under "What was recorded"."""
    values = list((event.changes or {}).values())
    return len(values) > 2 and all(isinstance(v, list) and len(v) == 2 and v[0] is None for v in values)


@register.filter
def record_url(event: Any) -> str:
    """The page of an audit event's record, when its model has one and the record still exists (one query, made
    inside the request's organisation scope; an erased or another organisation's record has no page)."""
    model = _model(event.object_type)
    if model is None or not event.object_id or not hasattr(model, "get_absolute_url"):
        return ""
    manager = model._default_manager
    if hasattr(model, "organization_id"):
        manager = manager.filter(organization_id=event.organization_id)  # type: ignore[assignment]
    record = manager.filter(pk=event.object_id).first() if str(event.object_id).isdigit() else None
    return record.get_absolute_url() if record is not None else ""


_PLACEHOLDER = re.compile(r"{(\w+)}")
_TOLD_LENGTH = 160  # a value longer than this (a feedback text) is cut short in a sentence; its record has it all


def _told_value(value: str) -> str:
    return Truncator(value).chars(_TOLD_LENGTH)


@register.simple_tag
def told(entry: dict[str, Any], records: bool = False) -> dict[str, Any]:
    """An audit event as a timeline tells it (qms.audit.phrases): `sentence`, what the actor did, as safe HTML
    ("assigned it to Sofia Lind"; on a timeline of several records the record is named and linked instead of "it");
    `lines`, every other change as a sentence of its own ("Date received set to 27 Nov 2026"), or for a record's
    creation what was recorded ("Kind: Compliment"); `folded`, true for a creation, whose values the record's page
    already shows."""
    event = entry["event"]
    phrase = audit_phrase(event.action)
    rows = changes(event)
    by_name = {row["name"]: row for row in rows}
    if records:
        name = f"{model_label(event.object_type).lower()} {record_label(event)}".strip()
        url = record_url(event)
        record = format_html('<a href="{}">{}</a>', url, name) if url else name
    else:
        record = _("it")
    template = str(phrase.sentence)
    named = set(_PLACEHOLDER.findall(template)) - {"record"}
    if phrase.cleared and any(by_name.get(n, {}).get("after") == "—" for n in named):
        template = str(phrase.cleared)
        named = set(_PLACEHOLDER.findall(template)) - {"record"}
    if template:
        values = {n: _told_value(by_name[n]["after"]) if n in by_name else "—" for n in named}
        sentence = format_html(template, record=record, **values)
    else:  # an action its module gave only a label: "· Closed", and the record where several are shown
        label = str(entry.get("label") or phrase.label)
        sentence = format_html("· <strong>{}</strong>", label)
        if records:
            sentence = format_html("{} · {}", sentence, record)
    folded = is_creation(event)
    lines = []
    for row in rows:
        if row["name"] in named or row["name"] in phrase.quiet:
            continue
        field, before, after = row["field"], _told_value(row["before"]), _told_value(row["after"])
        if folded:
            lines.append(_("%(field)s: %(value)s") % {"field": field, "value": after})
        elif before == "—":
            lines.append(_("%(field)s set to %(value)s") % {"field": field, "value": after})
        elif after == "—":
            lines.append(_("%(field)s cleared") % {"field": field})
        else:
            lines.append(
                _("%(field)s changed from %(before)s to %(after)s") % {"field": field, "before": before, "after": after}
            )
    return {"sentence": sentence, "lines": lines, "folded": folded}
