"""The message catalogues and the strings they must hold, without GNU gettext (a new machine has only Python).

Every string a person reads is marked for translation: `{% translate %}` / `{% blocktranslate %}` / `_("…")` in
templates, `gettext` / `gettext_lazy` (as `_`) in Python. Each *area* of the code has its own catalogue, so that
people working on different modules never edit the same file; Django merges them all at run time:

    qms        qms/ and every template not listed below          -> locale/<lang>/LC_MESSAGES/django.po
    customers  customers/, templates/customers/                  -> customers/locale/...
    feedback   feedback/, templates/feedback/, emails/feedback-*  -> feedback/locale/...
    reports    reports/, templates/reports/                      -> reports/locale/...

`make messages` (python -m tests.i18n.catalogues [AREA...]) adds each area's new strings to its catalogues with an empty
translation, drops the ones no longer used and compiles the .mo files Django reads; a translator then fills the
empty ones. tests/i18n/test_catalogues.py fails while any string is missing or untranslated, or a .mo is stale,
and while a template shows text that is not marked (`unmarked`).
"""

from __future__ import annotations

import ast
import html
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de",)  # every language of settings.LANGUAGES but the source language, English


@dataclass(frozen=True)
class Area:
    name: str
    code: tuple[str, ...]  # folders of Python code
    templates: tuple[str, ...]  # glob patterns under templates/
    catalogue_dir: str

    def catalogue(self, language: str) -> Path:
        return ROOT / self.catalogue_dir / language / "LC_MESSAGES" / "django.po"


AREAS = (
    Area("customers", ("customers",), ("customers/**/*",), "customers/locale"),
    Area("feedback", ("feedback",), ("feedback/**/*", "emails/feedback-*"), "feedback/locale"),
    Area("surveys", ("surveys",), ("surveys/**/*", "emails/survey-*"), "surveys/locale"),
    Area("reports", ("reports",), ("reports/**/*",), "reports/locale"),
    Area("qms", ("qms",), ("**/*",), "locale"),  # last: every template the others do not claim
)
SKIPPED_DIRS = {"migrations", "__pycache__", "locale"}


def template_files() -> dict[Path, Area]:
    """Every template, with the area it belongs to (the first whose pattern matches)."""
    owner: dict[Path, Area] = {}
    base = ROOT / "templates"
    for area in AREAS:
        for pattern in area.templates:
            for path in sorted(base.glob(pattern)):
                if path.is_file() and path.suffix in (".html", ".txt") and path not in owner:
                    owner[path] = area
    return owner


def python_files(area: Area) -> Iterator[Path]:
    for folder in area.code:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                yield path


# --- what is marked --------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Message:
    msgid: str
    plural: str = ""
    context: str = ""


GETTEXT = {"_", "gettext", "gettext_lazy", "gettext_noop"}
NGETTEXT = {"ngettext", "ngettext_lazy"}
PGETTEXT = {"pgettext", "pgettext_lazy"}
NPGETTEXT = {"npgettext", "npgettext_lazy"}
ALL_CALLS = GETTEXT | NGETTEXT | PGETTEXT | NPGETTEXT


def _message(name: str, args: list[str]) -> Message | None:
    if name in GETTEXT and args:
        return Message(args[0])
    if name in NGETTEXT and len(args) >= 2:
        return Message(args[0], plural=args[1])
    if name in PGETTEXT and len(args) >= 2:
        return Message(args[1], context=args[0])
    if name in NPGETTEXT and len(args) >= 3:
        return Message(args[1], plural=args[2], context=args[0])
    return None


def python_messages(source: str) -> set[Message]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in ALL_CALLS:
            continue
        args = []
        for arg in node.args:  # the literal strings up to the first other argument (a plural's count)
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            args.append(arg.value)
        if message := _message(name, args):
            found.add(message)
    return found


_CALL = re.compile(r"\b(" + "|".join(sorted(ALL_CALLS, key=len, reverse=True)) + r")\(")


def template_messages(source: str) -> set[Message]:
    """The strings a template marks, read from Django's own translation of it into gettext calls."""
    from django.utils.translation.template import templatize

    code = templatize(source)
    found = set()
    for match in _CALL.finditer(code):
        args, depth = [], 0
        tokens = tokenize.generate_tokens(io.StringIO(code[match.end() - 1 :]).readline)
        for token in tokens:
            if token.type == tokenize.OP and token.string == "(":
                depth += 1
            elif token.type == tokenize.OP and token.string == ")":
                depth -= 1
                if depth == 0:
                    break
            elif token.type == tokenize.STRING and depth == 1:
                args.append(ast.literal_eval(token.string))
            elif token.type == tokenize.NAME and depth == 1:
                args.append(None)  # `count` of ngettext
        strings = [a for a in args if isinstance(a, str)]
        if message := _message(match.group(1), strings):
            found.add(message)
    return found


def area_messages(area: Area) -> set[Message]:
    found: set[Message] = set()
    for path in python_files(area):
        found |= python_messages(path.read_text())
    for path, owner in template_files().items():
        if owner is area:
            found |= template_messages(path.read_text())
    return found


# --- what is not marked -----------------------------------------------------------------------------------------

TEXT_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "data-label", "label"}
VERBATIM_ELEMENTS = {"code", "kbd", "samp", "script", "style"}  # what a person types or the machine reads
NOT_WORDS = {"Closeloop"}  # the product's name
_WORD = re.compile(r"[^\W\d_]{2,}")
# A quoted literal in a tag or a variable: human text when it has a capital or a space, and is not a format
# (|date:"j M Y") or a template's name.
_LITERAL = re.compile(r"""(?P<before>[\w|:=(]*)(?P<quote>["'])(?P<text>(?:(?!(?P=quote)).)*)(?P=quote)""")


_CLASSES = re.compile(r"^[a-z0-9]+-[a-z0-9-]*( [a-z0-9]+-[a-z0-9-]*)*$")  # "sort-icon sort-icon-idle": CSS classes


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(html.unescape(text)) if w not in NOT_WORDS]


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.verbatim = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VERBATIM_ELEMENTS:
            self.verbatim += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and _words(value):
                self.found.append(f'{name}="{value.strip()}"')

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in VERBATIM_ELEMENTS:
            self.verbatim -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in VERBATIM_ELEMENTS and self.verbatim:
            self.verbatim -= 1

    def handle_data(self, data: str) -> None:
        if not self.verbatim and _words(data):
            self.found.append(" ".join(data.split()))


SKIPPED_TAGS = {"load", "extends", "url", "static", "translate", "trans", "blocktranslate", "blocktrans", "comment"}


def _unmarked_literals(content: str) -> list[str]:
    found = []
    for match in _LITERAL.finditer(content):
        before, text = match.group("before"), match.group("text")
        if before.endswith(("_(", "date:", "time:", "naturaltime:")) or "/" in text or "{" in text:
            continue
        if _CLASSES.match(text):
            continue
        if (any(c.isupper() for c in text) or " " in text.strip()) and _words(text):
            found.append(f'"{text}"')
    return found


def unmarked(source: str, *, plain: bool = False) -> list[str]:
    """The text a template shows that is not marked for translation: words in the markup and in text attributes
    outside {% translate %} / {% blocktranslate %}, and quoted human text given to a tag or a filter. In a
    plain-text email (`plain`), an indented line is verbatim: a command to type."""
    from django.template.base import Lexer, TokenType

    found: list[str] = []
    markup: list[str] = []
    inside_block = False
    for token in Lexer(source).tokenize():
        command = token.contents.split(" ", 1)[0] if token.token_type == TokenType.BLOCK else ""
        if command in ("blocktranslate", "blocktrans"):
            inside_block = True
            continue
        if command in ("endblocktranslate", "endblocktrans"):
            inside_block = False
            continue
        if inside_block or token.token_type == TokenType.COMMENT:
            continue
        if token.token_type == TokenType.TEXT:
            markup.append(token.contents)
        else:
            markup.append(" ⋯ ")  # a value: never text of its own, but it may sit inside an attribute
            if token.token_type == TokenType.VAR or command not in SKIPPED_TAGS:
                found.extend(_unmarked_literals(token.contents))
    text = re.sub(r"<!--.*?-->", "", "".join(markup), flags=re.S)
    if plain:
        text = re.sub(r"(?m)^  \S.*$", "", text)
    finder = _TextFinder()
    finder.feed(text)
    finder.close()
    return finder.found + found


# --- the catalogues -----------------------------------------------------------------------------------------------


def _entry_key(entry: polib.POEntry) -> Message:
    return Message(entry.msgid, entry.msgid_plural or "", entry.msgctxt or "")


def update(area: Area, language: str) -> polib.POFile:
    """Bring an area's catalogue in line with its code: new strings added untranslated, unused ones dropped."""
    path = area.catalogue(language)
    catalogue = polib.pofile(str(path)) if path.exists() else polib.POFile()
    catalogue.metadata = {
        "Project-Id-Version": f"closeloop-{area.name}",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    wanted = area_messages(area)
    kept = {_entry_key(e): e for e in catalogue if _entry_key(e) in wanted and not e.obsolete}
    fresh = polib.POFile()
    fresh.metadata = catalogue.metadata
    for message in sorted(wanted):
        entry = kept.get(message) or polib.POEntry(
            msgid=message.msgid,
            msgid_plural=message.plural or None,
            msgctxt=message.context or None,
            msgstr="" if not message.plural else None,
            msgstr_plural={0: "", 1: ""} if message.plural else None,
        )
        fresh.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh.save(str(path))
    fresh.save_as_mofile(str(path.with_suffix(".mo")))
    return fresh


def untranslated(catalogue: polib.POFile) -> list[str]:
    return [e.msgid for e in catalogue if not e.translated() or e.fuzzy]


def main(argv: Iterable[str]) -> int:
    import django

    sys.path.insert(0, str(ROOT))
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")
    django.setup()
    names = set(argv)
    unknown = names - {area.name for area in AREAS}
    if unknown:
        print(f"no such area: {', '.join(sorted(unknown))}; the areas are {', '.join(a.name for a in AREAS)}")
        return 2
    for area in AREAS:
        if names and area.name not in names:
            continue
        for language in LANGUAGES:
            catalogue = update(area, language)
            missing = untranslated(catalogue)
            print(
                f"{area.catalogue(language).relative_to(ROOT)}: {len(catalogue)} strings, {len(missing)} to translate"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
