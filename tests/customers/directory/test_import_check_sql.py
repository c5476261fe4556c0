"""The check in SQL (import_check_sql) and the check row by row (import_rows.RowChecker) come to the same outcome
for the same file: counts, every error with its row, column and message, the preview and the kept rows. The
files are made to find where SQL and Python read text differently: white space beyond ASCII, letters that lower-
case differently, emails Django's validator decides, the export's neutralising quotes, rows that repeat earlier
ones after failing on their own. And a file COPY would read differently from Python's csv module goes to the
row-by-row check, with the same outcome."""

import pytest

from customers.models import ImportJob
from customers.services import import_check_sql, imports
from customers.services.import_rejected import rejected_rows_open
from customers.services.import_staging import staged_rows_open
from tests.conftest import IS_POSTGRES
from tests.factories import MembershipFactory, UserFactory

from .conftest import HEADER, create_job, csv_bytes, row

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="the check in SQL is PostgreSQL's")

TRICKY = [
    row(),
    row(name="\u00a0Acme Ltd\u2003", contact="  Bob\t", email=" BOB@ACME.EXAMPLE "),  # trimmed as str.strip()
    row(name="Acme Ltd", contact="Bob", email="bob@acme.example"),  # the same email, once trimmed and lowered
    row(name="Zoë Müller GmbH", ref="Z-1", contact="Zoë", email="zoe@müller.example"),  # an IDN domain
    row(name="Q", ref="Q-1", contact="Q", email='"odd local"@example.com'),  # Django decides
    row(name="Q", ref="Q-1", contact="Q2", email="nope@"),
    row(name="Q", ref="Q-1", contact="Q3", email="a" * 250 + "@x.example"),  # too long
    row(name="K", ref="K-1", contact="K", email="k@k.example", consent="UN\u212aNOWN"),  # Kelvin sign: Python lowers
    row(name="K", ref="K-2", contact="K2", email="k2@k.example", customer_kind="PERSON", consent="Opted Out"),
    row(name="K", ref="K-3", contact="K3", email="k3@k.example", customer_kind="company"),
    row(name="P", ref="P-1", contact="P", email="p@p.example", contact_phone="+44\t20  7946\x1f0001 ext. 12"),
    row(name="P", ref="P-2", contact="P2", email="p2@p.example", contact_phone="call me"),
    row(name="P", ref="P-3", contact="P3", email="p3@p.example", contact_phone="１２３"),  # full-width digits
    row(name="L", ref="L-1", contact="L", email="l@l.example", preferred_language="EN_us"),
    row(name="L", ref="L-2", contact="L2", email="l2@l.example", preferred_language="english"),
    row(name="L", ref="L-3", contact="L3", email="l3@l.example", preferred_language="ｅｎ"),
    row(name="'=SUM(A1)", ref="'+F-1", contact="'-F", email="f@f.example", contact_phone="'+44 20 7946 0002"),
    row(name="'plain", ref="'F-2", contact="F2", email="f2@f.example"),  # a quote not before a formula stays
    row(name="N" * 201, ref="N-1", contact="N", email="n@n.example", segment="S" * 101),
    row(name="", ref="E-1", contact="", email="e@e.example", contact_phone="x"),  # three errors of its own
    row(name="Owned", ref="O-1", contact="", email="", account_owner_email="MANAGER@ALPHA.TEST"),
    row(name="Owned", ref="O-2", contact="", email="", account_owner_email="nobody@alpha.test"),
    row(name="Owned", ref="O-3", contact="", email="", account_owner_email="ｍanager@alpha.test"),
    row(name="Owned", ref="O-1", contact="", email="", account_owner_email=""),  # disagrees with row 22
    row(name="Twin", ref="T-1", contact="Tom", email="tom@t.example", segment="Retail"),
    row(name="Twin", ref="T-1", contact="Tim", email="tom@t.example", segment="Public"),  # both repeat problems
    row(name="Twin", ref="T-1", contact="Tia", email="tia@t.example", segment="Retail"),
    row(name="Desk", ref="", contact="Front desk", email=""),
    row(name="Desk", ref="", contact="Front desk", email=""),  # a second contact without email, same name
    row(name="Desk", ref="", contact="Back desk", email="", consent="granted"),
    row(name="Late", ref="LATE", contact="L1", email="first@late.example", customer_kind="person"),  # bad: ref
    row(name="Late2", ref="LATE", contact="L2", email="first@late.example"),  # fails on details and email
    row(name="Late3", ref="LATE3", contact="L3", email="first@late.example"),  # the email row 31 registered
    [" ", "\t", "", "", "", "", "", "", "", "", ""],  # white space only: skipped, numbered
    row(name='Quote "inside" Ltd', ref="QI-1", contact="Line\nbreak", email="qi@q.example", region="A, B"),
    row(name="Ünïcode", ref="U-1", contact="Ünïcode", email="u@u.example", customer_kind="Organization"),
]


def _outcome(tenant, content: bytes, *, in_sql: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(imports, "checks_set_based", lambda: in_sql)
    job = create_job(tenant, content)
    with tenant.context():
        imports.import_job_validate(job_id=job.pk)
        job = ImportJob.objects.get(pk=job.pk)
        kept = (
            [(r.number, r.customer_key, r.customer, r.contact) for r in staged_rows_open(job)] if job.valid_rows else []
        )
        refused = list(rejected_rows_open(job)) if job.error_rows else []
    files = ("checked_rows", "rejected_rows", "queued_at")  # their names differ; their contents are compared
    summary = {key: value for key, value in job.summary.items() if key not in files}
    return (job.status, job.message, job.total_rows, job.valid_rows, job.error_rows, job.errors, summary, kept, refused)


def _staged(job):
    return staged_rows_open(job) if job.valid_rows else []


@pytest.fixture
def sql_runs(monkeypatch):
    """Counts the files the SQL check took to the end (run() True), so a test knows which path it saw."""
    taken = []
    run = import_check_sql.SqlCheck.run

    def counted(self, *args, **kwargs):
        taken.append(result := run(self, *args, **kwargs))
        return result

    monkeypatch.setattr(import_check_sql.SqlCheck, "run", counted)
    return taken


def test_sql_and_rows_agree_on_every_outcome_of_a_tricky_file(alpha, monkeypatch, sql_runs):
    content = csv_bytes(TRICKY)
    by_rows = _outcome(alpha, content, in_sql=False, monkeypatch=monkeypatch)
    in_sql = _outcome(alpha, content, in_sql=True, monkeypatch=monkeypatch)
    assert sql_runs == [True]  # the SQL check read it to the end
    assert in_sql == by_rows
    status, _, total, valid, invalid, errors, _, kept, refused = in_sql
    assert status == ImportJob.Status.PREVIEW
    assert (total, invalid) == (len(TRICKY) - 1, total - valid)
    assert len(errors) > 15 and len(kept) > 10  # the file holds both, so the comparison compares something
    assert len(refused) == invalid + 1  # its header, then every refused row


@pytest.mark.parametrize(
    "columns",
    [
        ["customer_name"],
        ["customer_name", "external_ref", "contact_email"],
        ["Company", "E-mail", "Phone", "consent", "extra"],  # aliases and an unknown column
        ["contact_name", "customer_name", "segment"],
    ],
)
def test_they_agree_whichever_columns_the_file_has(alpha, monkeypatch, sql_runs, columns):
    positions = [HEADER.index(_canonical(column)) if _canonical(column) in HEADER else None for column in columns]
    rows = [[cells[p] if p is not None else "x" for p in positions] for cells in TRICKY]
    content = csv_bytes(rows, header=columns)
    by_rows = _outcome(alpha, content, in_sql=False, monkeypatch=monkeypatch)
    assert _outcome(alpha, content, in_sql=True, monkeypatch=monkeypatch) == by_rows
    assert sql_runs == [True]


def _canonical(column: str) -> str:
    return {"Company": "customer_name", "E-mail": "contact_email", "Phone": "contact_phone"}.get(column, column)


@pytest.mark.parametrize(
    ("content", "in_sql"),
    [
        (b"customer_name,contact_name\nAcme,Ann\nBeta\n", False),  # a short row
        (b"customer_name,contact_name\nAcme,Ann\n\nBeta,Bob\n", False),  # a blank line
        (b'customer_name,contact_name\nAc"me,Ann\nBeta,"Bob"x\n', False),  # quotes Python reads as text
        (b"customer_name,contact_name\nAcme,Ann\n\\.\nBeta,Bob\n", False),  # COPY's end-of-data line
        (b"customer_name,contact_name\n" + b"Acme,Ann\n" * 1000 + b"Be\xc3ta,Bob\n", False),  # not UTF-8, late
        (b'customer_name;contact_name\r\nAcme;Ann\r\nBeta;"Bo\r\nb"\r\n', True),  # semicolons, a break in a cell
        (b"\xef\xbb\xbfcustomer_name\tcontact_name\nAcme\tAnn\n", True),  # tabs, Excel's byte-order mark
    ],
    ids=["short-row", "blank-line", "stray-quotes", "end-of-data", "not-utf8", "semicolons-crlf", "tabs-bom"],
)
def test_a_file_copy_reads_otherwise_gets_the_same_outcome_row_by_row(alpha, monkeypatch, sql_runs, content, in_sql):
    by_rows = _outcome(alpha, content, in_sql=False, monkeypatch=monkeypatch)
    assert _outcome(alpha, content, in_sql=True, monkeypatch=monkeypatch) == by_rows
    assert sql_runs == [in_sql]


def test_they_agree_on_a_file_whose_only_problems_are_repeats(alpha, monkeypatch, sql_runs):
    """No row has a problem of its own and every customer's rows agree: the repeats are found all the same."""
    rows = [
        row(name="Acme", ref="A-1", contact="Ann", email="ann@acme.example"),
        row(name="Acme", ref="A-1", contact="Ann B", email="ANN@acme.example"),
        row(name="Desk", ref="", contact="Front desk", email=""),
        row(name="Desk", ref="", contact="Front desk", email=""),
        row(name="Desk", ref="", contact="Back desk", email=""),
    ]
    content = csv_bytes(rows)
    by_rows = _outcome(alpha, content, in_sql=False, monkeypatch=monkeypatch)
    in_sql = _outcome(alpha, content, in_sql=True, monkeypatch=monkeypatch)
    assert in_sql == by_rows and sql_runs == [True]
    assert [(error["row"], error["column"]) for error in in_sql[5]] == [(3, "contact_email"), (5, "contact_name")]


def test_an_owner_is_matched_whatever_the_case_of_the_email(alpha, monkeypatch, sql_runs):
    MembershipFactory(organization=alpha.organization, user=UserFactory(email="Mixed.Case@Alpha.Test"), role="staff")
    content = csv_bytes(
        [
            row(account_owner_email="mixed.case@alpha.test"),
            row(account_owner_email="MIXED.CASE@alpha.test", email="b@b.example"),
        ]
    )
    by_rows = _outcome(alpha, content, in_sql=False, monkeypatch=monkeypatch)
    in_sql = _outcome(alpha, content, in_sql=True, monkeypatch=monkeypatch)
    assert in_sql == by_rows and in_sql[3] == 2
