"""A translation for a translator: exported as CSV (key, source text, translation) or XLIFF 1.2, imported back.

Imports are bounded: a file over 1 MB or with more than 5,000 rows is refused before anything is stored. XLIFF is
parsed with the standard library's ElementTree after refusing any DOCTYPE or ENTITY declaration (defusedxml is not
a dependency of the project), so no entity can expand and no external resource is fetched. Keys the version does
not have are reported back, not stored. An import into a version that has been sent goes to the survey's editable
version (a new one when needed), like any edit.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from qms.accounts.models import User
from qms.listing import FORMULA_PREFIXES, safe_cell
from surveys.models import Survey, SurveyVersion
from surveys.services.design import editable_version, translatable_keys, translation_update
from surveys.texts import source_texts

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
CSV_HEADER = ("key", "source", "translation")


@dataclass
class ImportResult:
    version: SurveyVersion
    stored: int = 0
    unknown: list[str] = field(default_factory=list)


def translation_rows(*, version: SurveyVersion, language: str) -> list[tuple[str, str, str]]:
    """(key, source text, translation) of every text a translation into `language` holds, in reading order."""
    sources = source_texts(version)
    given = version.translations.get(language) or {}
    return [(key, sources.get(key, ""), given.get(key, "")) for key in translatable_keys(version, language)]


def translation_csv(*, version: SurveyVersion, language: str) -> str:
    """The CSV, each cell neutralised against spreadsheet formulas (qms.listing.safe_cell)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in translation_rows(version=version, language=language):
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def translation_xliff(*, version: SurveyVersion, language: str) -> str:
    survey = version.survey
    units = "".join(
        f"      <trans-unit id={quoteattr(key)}>\n        <source>{escape(source)}</source>\n"
        f"        <target>{escape(target)}</target>\n      </trans-unit>\n"
        for key, source, target in translation_rows(version=version, language=language)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xliff version="1.2" xmlns="{XLIFF_NS}">\n'
        f"  <file original={quoteattr(f'{survey.reference}-v{version.number}')} "
        f"source-language={quoteattr(survey.default_language)} target-language={quoteattr(language)} "
        'datatype="plaintext">\n    <body>\n'
        f"{units}    </body>\n  </file>\n</xliff>\n"
    )


def _read(upload: UploadedFile) -> bytes:
    if (upload.size or 0) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 1 MB.")})
    content = upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 1 MB.")})
    return content


def _unneutralised(text: str) -> str:
    """A cell the export prefixed with a quote (it started like a formula) reads as it was written."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES) else text


TOO_MANY = _("The file has more than %(count)d rows.")


def parse_csv(content: bytes) -> dict[str, str]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
    if "\x00" in text:
        raise ValidationError({"file": _("The file is not a CSV file.")})
    reader = csv.reader(io.StringIO(text, newline=""))
    texts: dict[str, str] = {}
    try:
        header = next(reader, None)
        if header is None or [cell.strip().lower() for cell in header[:3]] != list(CSV_HEADER):
            message = _("The first row must name the columns key, source and translation.")
            raise ValidationError({"file": message})
        for number, row in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise ValidationError({"file": TOO_MANY % {"count": MAX_ROWS}})
            if len(row) >= 3 and row[0].strip():
                texts[row[0].strip()] = _unneutralised(row[2])
    except csv.Error:
        raise ValidationError({"file": _("The file is not a CSV file.")}) from None
    return texts


def parse_xliff(content: bytes) -> dict[str, str]:
    try:
        text = content.decode("utf-8-sig")  # only UTF-8: no other encoding can hide a declaration from the check
    except UnicodeDecodeError:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
    if DECLARATION.search(text):
        raise ValidationError({"file": _("The file declares a DOCTYPE or entities, which are not accepted.")})
    try:
        root = ElementTree.fromstring(text.encode())  # noqa: S314 - no DOCTYPE or ENTITY can reach the parser
    except ElementTree.ParseError:
        raise ValidationError({"file": _("The file is not an XLIFF file.")}) from None
    units = [element for element in root.iter() if element.tag.rpartition("}")[2] == "trans-unit"]
    if len(units) > MAX_ROWS:
        raise ValidationError({"file": TOO_MANY % {"count": MAX_ROWS}})
    texts: dict[str, str] = {}
    for unit in units:
        key = (unit.get("id") or "").strip()
        target = next((child for child in unit if child.tag.rpartition("}")[2] == "target"), None)
        if key:
            texts[key] = "".join(target.itertext()) if target is not None else ""
    return texts


def _is_xliff(upload: UploadedFile, content: bytes) -> bool:
    name = (upload.name or "").lower()
    return name.endswith((".xlf", ".xliff", ".xml")) or content.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<")


def translation_import(*, survey: Survey, actor: User, language: str, upload: UploadedFile) -> ImportResult:
    """Store a translator's file as the translation into `language` of the survey's editable version. Empty
    translations are left as they were; unknown keys are reported, not stored."""
    content = _read(upload)
    texts = parse_xliff(content) if _is_xliff(upload, content) else parse_csv(content)
    version = editable_version(survey=survey, actor=actor)
    known = set(translatable_keys(version, language))
    unknown = sorted(key for key in texts if key not in known)
    given = {key: value for key, value in texts.items() if key in known and value.strip()}
    version = translation_update(version=version, actor=actor, language=language, texts=given)
    return ImportResult(version=version, stored=len(given), unknown=unknown)
