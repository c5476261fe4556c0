"""What an uploaded attachment really is, judged by its bytes — never by its name or the browser's say-so.

Binary formats are recognised by their signature (the `filetype` package); anything without a recognised
signature is accepted only as plain text: UTF-8 without NUL bytes, named .txt/.csv/…, and not markup, so an
HTML page, an SVG image or a script renamed `photo.png` is refused.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

TEXT = "text/plain"
BINARY_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
TEXT_EXTENSIONS = ("txt", "csv", "tsv", "log", "md")
ALLOWED_DESCRIPTION = _(
    "PDF, PNG, JPEG, GIF, WebP, Word, Excel, PowerPoint (.docx/.xlsx/.pptx) or plain text (.txt/.csv)"
)
# Markup a browser could render or run if it ever ignored the download headers.
MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml)|<!--", re.IGNORECASE)
CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int
    sha256: str
    original_name: str


def clean_name(name: str) -> str:
    """The person's file name, kept for display only: no path, no control characters, bounded length."""
    base = PurePath(str(name).replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return (base or "attachment")[:200]


def download_name(*, original_name: str, content_type: str) -> str:
    """The name offered on download: the person's stem with the extension of what the file really is."""
    extension = BINARY_TYPES.get(content_type)
    if extension is None:
        extension = _extension_of(original_name) if _extension_of(original_name) in TEXT_EXTENSIONS else "txt"
    stem = PurePath(original_name).stem or "attachment"
    return f"{stem[:150]}.{extension}"


def served_content_type(content_type: str) -> str:
    return "text/plain; charset=utf-8" if content_type == TEXT else content_type


def _read_all(upload: File) -> bytes:
    upload.seek(0)
    data = b"".join(upload.chunks(CHUNK)) if hasattr(upload, "chunks") else upload.read()
    upload.seek(0)
    return data


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _extension_of(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def check_upload(upload: File) -> CheckedFile:
    """Validate an upload by content and size; returns what it is, or raises ValidationError with a clear reason."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}, code="too_large"
        )
    data = _read_all(upload)
    if len(data) > limit:
        raise ValidationError(
            _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}, code="too_large"
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    name = clean_name(upload.name or "")
    content_type, extension = _detect(data, name)
    return CheckedFile(
        content_type=content_type,
        extension=extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=name,
    )


def _detect(data: bytes, name: str) -> tuple[str, str]:
    kind = filetype.guess(data)
    if kind is not None:
        if kind.mime in BINARY_TYPES:
            return kind.mime, BINARY_TYPES[kind.mime]
        raise ValidationError(
            _("This file is %(type)s, which cannot be attached. Allowed: %(allowed)s.")
            % {"type": kind.mime, "allowed": ALLOWED_DESCRIPTION},
            code="type",
        )
    if not _is_text(data):
        raise ValidationError(
            _("This file's type is not recognised. Allowed: %(allowed)s.") % {"allowed": ALLOWED_DESCRIPTION},
            code="type",
        )
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") or MARKUP.search(data):
        raise ValidationError(_("HTML, SVG, XML and other markup files cannot be attached."), code="markup")
    extension = _extension_of(name)
    if extension not in TEXT_EXTENSIONS:
        raise ValidationError(
            _("This file contains plain text, so its name must end in .txt or .csv."), code="text_name"
        )
    return TEXT, extension
