"""The rows an import's check refused, kept as a CSV file a person downloads, fixes and uploads again.

The file has the upload's own header and cells, in its order, and two more columns at the end: what is wrong
with the row, and its row number in the uploaded file. Uploaded again, the two are unknown columns, which an
import ignores (and says so), so a fixed file imports as it is. The check writes it once, as it checks the rows;
it lives as long as the upload it was taken from: deleted with it
when the upload's retention ends (import_upkeep), and it holds nothing the upload does not.

The same file lets the preview page through every row: a page of the upload is read again and each of its rows
is marked by this file (valid unless listed here).
"""

import csv
import io
import itertools
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from django.core.files.base import File
from django.core.files.storage import Storage
from django.utils.translation import gettext_lazy as _

from customers.models import ImportJob

from .import_rows import ImportFileError, header_columns, numbered_rows, read_table
from .import_staging import summary_file_discard

SUMMARY_KEY = "rejected_rows"  # the file's name in the job's summary
PROBLEM, ROW = _("Problem"), _("Row in the uploaded file")  # headers a person reads, after the file's own


def _storage() -> Storage:
    return ImportJob._meta.get_field("file").storage


def problem_text(problems: Sequence[tuple[str, str]], labels: dict[str, str]) -> str:
    """ "E-mail: Enter a valid email address. · …": each problem under the file's own name for its column."""
    return " · ".join(f"{labels.get(column, column)}: {message}" for column, message in problems)


def column_labels(header: list[str], columns: dict[str, int]) -> dict[str, str]:
    """{column name: the header the file gives it}; a column the file lacks keeps its own name."""
    return {name: header[index].strip() or name for name, index in columns.items()}


class RejectedRows:
    """The refused rows of one check, written to a temporary file as they are found, stored when it ends."""

    def __init__(self, header: list[str], labels: dict[str, str]) -> None:
        self.width, self.labels, self.count = len(header), labels, 0
        self._binary: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow([*header, PROBLEM, ROW])

    def add(self, number: int, cells: list[str], problems: Sequence[tuple[str, str]]) -> None:
        cells = cells[: self.width] + [""] * (self.width - len(cells))
        self._writer.writerow([*cells, problem_text(problems, self.labels), number])
        self.count += 1

    def store(self, job: ImportJob) -> str | None:
        """Save the file next to the job's upload; its stored name, or None when no row was refused."""
        if not self.count:
            return None
        self._text.flush()
        self._binary.seek(0)
        return _storage().save(f"{job.file.name}.rejected.csv", File(self._binary))

    def close(self) -> None:
        self._text.close()


def rejected_rows_open(job: ImportJob) -> Iterator[list[str]]:
    """The stored file's rows, its header first; FileNotFoundError when the job has none (any more)."""
    name = job.summary.get(SUMMARY_KEY)
    if not name:
        raise FileNotFoundError(f"import {job.pk} has no rejected rows")
    with _storage().open(name, "rb") as binary, io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
        yield from csv.reader(text)


def rejected_rows_forget(summary: dict) -> dict:
    """The summary without its rejected rows, whose file is deleted once the caller's transaction commits."""
    return summary_file_discard(summary, SUMMARY_KEY)


@dataclass(frozen=True)
class PreviewRow:
    number: int
    cells: list[str]
    problem: str  # empty when the row is valid


class PreviewRows(Sequence[PreviewRow]):
    """Every checked row of a job's upload, for a Paginator: a page reads only its own rows of the file again.

    `len` is the job's count of rows (blank ones are skipped, as the check skips them); a slice reads the upload
    from its start to the end of the slice. The problems come from the rejected rows' file, read once.
    """

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self._problems: dict[int, str] | None = None

    def __len__(self) -> int:
        return self.job.total_rows

    def __getitem__(self, index):  # type: ignore[no-untyped-def]  # Sequence's overloads, for Paginator
        if not isinstance(index, slice):
            raise TypeError("PreviewRows is read a page at a time")
        start, stop, _ = index.indices(len(self))
        return list(self._rows(start, stop))

    def _rows(self, start: int, stop: int) -> Iterator[PreviewRow]:
        problems = self._problems_by_row()
        columns = self.job.summary.get("columns", [])
        try:
            binary = self.job.file.open("rb")
        except (OSError, ValueError):
            return
        with binary:
            try:
                header, rows = read_table(binary)
                positions = _positions(header, columns)
                for number, cells in itertools.islice(numbered_rows(rows), start, stop):
                    values = [cells[i][:200] if i is not None and i < len(cells) else "" for i in positions]
                    yield PreviewRow(number, values, problems.get(number, ""))
            except ImportFileError:
                return  # the check said so already: the rows before it were shown

    def _problems_by_row(self) -> dict[int, str]:
        if self._problems is None:
            self._problems = {}
            try:
                header, *rows = rejected_rows_open(self.job)
            except (FileNotFoundError, ValueError):
                return self._problems
            for cells in rows:
                if len(cells) >= 2 and cells[-1].isdigit():
                    self._problems[int(cells[-1])] = cells[-2]
        return self._problems


def _positions(header: list[str], columns: list[str]) -> list[int | None]:
    found, _ = header_columns(header)
    return [found.get(name) for name in columns]
