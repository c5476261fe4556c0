"""Reading the first sheet of an .xlsx workbook within bounds, as rows of text.

An .xlsx file is a zip of XML parts, and two megabytes of zip can inflate to gigabytes: openpyxl holds the shared
strings (and every other part but the worksheets) in memory whole, even in read-only mode. So before anything is
parsed, the sizes the archive declares are checked: all parts together, each part held whole, and each part's
compression ratio. zipfile never inflates a part past the size it declares (it stops there, and the CRC check
fails), so the declared sizes bound what parsing can expand. While the sheet streams by, its rows, the cells of a
row and the length of a cell's text are bounded too.
"""

import datetime
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.utils import formats
from django.utils.translation import gettext_lazy as _

MIB = 1024 * 1024
STREAMED_PARTS = "xl/worksheets/"  # openpyxl's read-only mode streams these; it reads every other part whole
RATIO_FROM_BYTES = MIB  # small parts (a theme, the styles) compress well and cannot expand far
UNREADABLE = _("The file could not be opened as an .xlsx workbook.")


@dataclass(frozen=True)
class WorkbookBounds:
    expanded_bytes: int = 256 * MIB  # every part together, inflated
    whole_part_bytes: int = 64 * MIB  # one part read whole: the shared strings, the styles…
    ratio: int = 100  # inflated to compressed, for a part over RATIO_FROM_BYTES; workbooks come in at 5 to 20
    rows: int = 1_048_576  # as many as Excel holds
    columns: int = 1_024  # a sheet to import is a few dozen columns wide; Excel's 16,384 would cost a row each
    text: int = 32_767  # the most Excel holds in one cell


class WorkbookRefused(Exception):
    """The workbook cannot be read, or is beyond a bound; the message says which, for the person who sent it."""


def workbook_rows(binary: IO[bytes], *, bounds: WorkbookBounds) -> Iterator[list[str]]:
    """The first sheet's rows as lists of text (a date in ISO form, 42.0 as 42), read lazily.

    WorkbookRefused is raised before parsing for an archive that would expand beyond the bounds, and while
    reading for a row beyond them or a sheet that is damaged halfway.
    """
    _check_archive(binary, bounds)
    binary.seek(0)
    import openpyxl  # only an .xlsx upload pays for importing it

    try:
        workbook = openpyxl.load_workbook(binary, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except MemoryError:  # past the task's ceiling (qms/memory.py): not a damaged file
        raise
    except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "not a workbook we can read"
        raise WorkbookRefused(str(UNREADABLE)) from exc
    sheet.reset_dimensions()  # rows as long as their own cells, not padded to a width the file claims
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > bounds.rows:
                raise WorkbookRefused(
                    _("The sheet has more than %(rows)s rows: split it into smaller files.")
                    % {"rows": _count(bounds.rows)}
                )
            yield _row_text(number, values, bounds)
    except (WorkbookRefused, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet part shows up only while reading it
        raise WorkbookRefused(str(_("The workbook's first sheet could not be read to the end."))) from exc
    finally:
        workbook.close()


def _check_archive(binary: IO[bytes], bounds: WorkbookBounds) -> None:
    try:
        with zipfile.ZipFile(binary) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise WorkbookRefused(str(UNREADABLE)) from exc
    if sum(part.file_size for part in parts) > bounds.expanded_bytes:
        raise WorkbookRefused(
            _(
                "The workbook expands to more than %(size)d MB when opened: split it into smaller files, or save it "
                "as CSV."
            )
            % {"size": bounds.expanded_bytes // MIB}
        )
    for part in parts:
        name = part.filename[:100]
        if not part.filename.startswith(STREAMED_PARTS) and part.file_size > bounds.whole_part_bytes:
            raise WorkbookRefused(
                _(
                    "The workbook's part %(part)s expands to more than %(size)d MB when opened: split it into smaller "
                    "files, or save it as CSV."
                )
                % {"part": name, "size": bounds.whole_part_bytes // MIB}
            )
        if part.file_size > RATIO_FROM_BYTES and part.file_size > bounds.ratio * max(part.compress_size, 1):
            raise WorkbookRefused(
                _(
                    "The workbook's part %(part)s expands more than %(ratio)d times when opened: this is not a "
                    "workbook a spreadsheet program saves."
                )
                % {"part": name, "ratio": bounds.ratio}
            )


def _count(n: int) -> str:
    """A bound as the page's language writes a number (10,000; 10.000 in German)."""
    return formats.number_format(n, force_grouping=True)


def _row_text(number: int, values: tuple[object, ...], bounds: WorkbookBounds) -> list[str]:
    if len(values) > bounds.columns:
        raise WorkbookRefused(
            _(
                "Row %(row)d has cells in more than %(columns)s columns: delete the columns to the right of your "
                "data and save the workbook again."
            )
            % {"row": number, "columns": _count(bounds.columns)}
        )
    cells = [_cell_text(value) for value in values]
    if any(len(cell) > bounds.text for cell in cells):
        raise WorkbookRefused(
            _("Row %(row)d has a cell of more than %(characters)s characters, more than a cell holds.")
            % {"row": number, "characters": _count(bounds.text)}
        )
    return cells


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 42 as 42.0
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
