"""An upload is bounded by what it comes to once read, not only by its size: an .xlsx (a zip) whose parts expand
beyond the bounds is refused before it is expanded, rows, cells and text are bounded while the sheet streams,
and a task that still needs more memory than an import may use fails its job instead of its worker."""

import io
import zipfile
import zlib

import openpyxl
import pytest

from customers import tasks
from customers.models import ImportJob
from qms.memory import address_space
from qms.workbooks import MIB

from .conftest import create_job, csv_bytes, row, url, validate, xlsx_bytes

Status = ImportJob.Status
GIB = 1024**3
CHUNK = b"A" * (4 * 1024 * 1024)


class _SameBlockCompressor:
    """Stands in for zipfile's compressor: a chunk written again is the same deflate block (each is flushed to a
    byte boundary, which resets the dictionary), so a 2 GB part is compressed once per distinct chunk."""

    def __init__(self) -> None:
        self.deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.blocks: dict[bytes, bytes] = {}

    def compress(self, data: bytes) -> bytes:
        if data not in self.blocks:
            self.blocks[data] = self.deflate.compress(data) + self.deflate.flush(zlib.Z_FULL_FLUSH)
        return self.blocks[data]

    def flush(self) -> bytes:
        return self.deflate.flush()


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
STRINGS_RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def rewritten(workbook: bytes, changes: dict[str, tuple[str, str]], add=None) -> bytes:
    """The workbook with the text `old` replaced by `new` in each part named in `changes`, and `add(archive)`
    writing more parts."""
    source, buffer = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            content = source.read(part).decode()
            if part.filename in changes:
                content = content.replace(*changes[part.filename])
            target.writestr(part, content)
        if add is not None:
            add(target)
    return buffer.getvalue()


def bomb_xlsx(expanded: int = 2 * GIB) -> bytes:
    """A real workbook with a shared-strings part of one string of `expanded` bytes: about 2 MB for 2 GB."""
    strings_type = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/>'
    strings_relation = f'<Relationship Id="rIdS" Type="{STRINGS_RELATION}" Target="sharedStrings.xml"/>'
    declared = {  # openpyxl writes inline strings: declare the shared strings part as Excel does
        "[Content_Types].xml": ("</Types>", f"{strings_type}</Types>"),
        "xl/_rels/workbook.xml.rels": ("</Relationships>", f"{strings_relation}</Relationships>"),
    }

    def shared_strings(archive: zipfile.ZipFile) -> None:
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part._compressor = _SameBlockCompressor()  # zipfile's own, swapped for speed (the bytes are real)
            part.write(f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode())
            for _ in range(expanded // len(CHUNK)):
                part.write(CHUNK)
            part.write(b"</t></si></sst>")

    return rewritten(xlsx_bytes([row()]), declared, add=shared_strings)


def _check(tenant, content: bytes) -> ImportJob:
    return validate(tenant, create_job(tenant, content, name="customers.xlsx"))


def test_an_xlsx_whose_shared_strings_expand_to_gigabytes_is_refused_before_it_is_expanded(alpha):
    bomb = bomb_xlsx()
    assert len(bomb) < 3 * MIB
    job = _check(alpha, bomb)
    assert job.status == Status.INVALID
    assert job.message.startswith("The workbook expands to more than 256 MB when opened")
    assert job.finished_at is not None


def test_a_part_read_whole_is_bounded_below_the_total(alpha):
    job = _check(alpha, bomb_xlsx(expanded=80 * MIB))  # under the total, over what one part may hold in memory
    assert job.status == Status.INVALID
    assert "xl/sharedStrings.xml expands to more than 64 MB" in job.message


def test_a_part_that_expands_far_more_than_workbooks_do_is_refused(alpha):
    job = _check(alpha, bomb_xlsx(expanded=16 * MIB))  # small, but 1000 to 1
    assert job.status == Status.INVALID
    assert "xl/sharedStrings.xml expands more than 100 times" in job.message


def test_the_import_page_shows_why_the_workbook_was_refused(alpha, login):
    job = _check(alpha, bomb_xlsx(expanded=16 * MIB))
    response = login(alpha.manager).get(url("import_detail", alpha, job_id=job.pk))
    assert response.status_code == 200
    assert "expands more than 100 times" in response.content.decode()


def test_a_cell_longer_than_a_spreadsheet_holds_is_refused_while_reading(alpha):
    workbook = xlsx_bytes([row(), row(name="LONG", ref="L-1", email="l@l.example")])  # openpyxl cuts long text
    job = _check(alpha, rewritten(workbook, {"xl/worksheets/sheet1.xml": ("<t>LONG</t>", f"<t>{'N' * 40_000}</t>")}))
    assert (job.status, job.message) == (
        Status.INVALID,
        "Row 3 has a cell of more than 32,767 characters, more than a cell holds.",
    )


def test_a_row_with_cells_far_to_the_right_is_refused_while_reading(alpha):
    job = _check(alpha, xlsx_bytes([row(), [*row(), *([""] * 1100), "x"]]))
    assert job.status == Status.INVALID
    assert job.message.startswith("Row 3 has cells in more than 1,024 columns")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_with_more_rows_than_an_import_takes_is_refused(alpha, settings, kind):
    settings.IMPORT_MAX_ROWS = 3
    rows = [row(contact=f"P{n}", email=f"p{n}@acme.example") for n in range(4)]
    job = _check(alpha, (csv_bytes if kind == "csv" else xlsx_bytes)(rows))
    assert (job.status, job.message) == (
        Status.INVALID,
        "The file has more than 3 rows under its header: split it into smaller files.",
    )
    settings.IMPORT_MAX_ROWS = 4
    assert _check(alpha, (csv_bytes if kind == "csv" else xlsx_bytes)(rows)).status == Status.PREVIEW


@pytest.mark.skipif(address_space() is None, reason="RLIMIT_AS is enforced on Linux")
def test_an_import_that_needs_more_memory_than_its_ceiling_fails_its_job_not_its_worker(
    transactional_db, alpha, settings, monkeypatch
):  # transactional: the task's transaction is its own, as in a worker
    settings.IMPORT_TASK_MEMORY_BYTES = 64 * MIB

    def balloon(*args, **kwargs):  # what parsing a workbook beyond every estimate would do
        return bytearray(512 * MIB)

    monkeypatch.setattr(openpyxl, "load_workbook", balloon)
    job = validate(alpha, create_job(alpha, xlsx_bytes([row()]), name="customers.xlsx"))
    assert job.status == Status.FAILED
    assert job.message == tasks.OUT_OF_MEMORY
    assert len(bytearray(512 * MIB)) == 512 * MIB  # and the ceiling is lifted again
