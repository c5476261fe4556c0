"""The check on PostgreSQL: a CSV file COPYed as it is into a temporary table and every row checked by a few
set-based statements, so that no row of a clean file passes through Python.

The rules are import_rows.RowChecker's, written as SQL, and RowChecker stays the reference: it checks what COPY
cannot take as it is (workbooks; rows of uneven length or blank lines; bytes that are not UTF-8, NUL characters,
a quote inside an unquoted cell, which COPY and Python's csv module read differently) and every file on SQLite.
A test runs both over the same files and compares every outcome: counts, errors, preview and kept rows.

Where SQL and Python could disagree about a value, the value goes to the Python rule itself: an email that is
not of the plain form (RowChecker hands those to Django's validator too), and a kind, consent, language, phone or
account owner that is not plain ASCII (Python and PostgreSQL lower-case other letters differently). Trimming uses
Python's own set of white space characters. What a row is checked for, in RowChecker's order:

1. its own cells: lengths, a customer name, a known kind and account owner, a contact name when the row has
   contact details, the email, phone, language and consent rules;
2. against the rows before it, among the rows valid by 1: a customer's rows agree on its details (the first such
   row of a customer gives them); then, among those that also pass that, one email is one contact, and a
   contact without an email is one per name within its customer (the first row keeps it).

The valid rows are kept as import_staging keeps them, written by COPY … TO.
"""

# ruff: noqa: S608 - every name in these statements is this module's own; the values are parameters

import csv
import json
import re
import string
import sys
from collections.abc import Callable, Mapping
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, connection, transaction

from .customers import (
    LANGUAGE_MESSAGE,
    LANGUAGE_RE,
    PHONE_MESSAGE,
    PHONE_RE,
    email_address,
    language_code,
    phone_number,
)
from .import_rows import (
    CONSENT_MESSAGE,
    CONSENTS,
    CONTACT_COLUMNS,
    CUSTOMER_FIELDS,
    FORMULA_STARTS,
    KIND_MESSAGE,
    KINDS,
    MAX_ERRORS_KEPT,
    NO_OWNER,
    PREVIEW_ROWS,
    TEXT_LIMITS,
    ImportFileError,
    Tally,
)

WHITESPACE = "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())  # what str.strip() trims
ASCII_WHITESPACE = "".join(character for character in WHITESPACE if ord(character) < 128)  # str.split()'s, in ASCII
QUOTED_CELL = re.compile(rb'"(?:[^"]|"")*"')
END_OF_DATA = re.compile(rb"(?:^|\n)\\\.\r?(?:\n|$)")  # COPY would stop at a line holding only \.

# (order, column, message) of a row's own problems, as RowChecker appends them; {v} is the column's SQL value.
OWN_PROBLEMS = [
    *(
        (order, column, f"CASE WHEN length({column}) > {limit} THEN 'At most {limit} characters.' END")
        for order, (column, limit) in enumerate(TEXT_LIMITS.items(), start=1)
    ),
    (6, "customer_name", "CASE WHEN customer_name = '' THEN 'A customer name is required.' END"),
    (7, "customer_kind", "kind_error"),
    (8, "account_owner_email", "owner_error"),
    (
        9,
        "contact_name",
        "CASE WHEN has_contact AND COALESCE(contact_name, '') = '' "
        "THEN 'A contact name is required when the row has contact details.' END",
    ),
    (10, "contact_email", "CASE WHEN has_contact THEN email_error END"),
    (11, "contact_phone", "CASE WHEN has_contact THEN phone_error END"),
    (12, "preferred_language", "CASE WHEN has_contact THEN language_error END"),
    (13, "consent", "CASE WHEN has_contact THEN consent_error END"),
]
CUSTOMER_ORDER, CONTACT_ORDER = 20, 21
KEY = "CASE WHEN COALESCE(external_ref, '') <> '' THEN 'r' || external_ref ELSE 'n' || customer_name END"
DROP = "DROP TABLE IF EXISTS import_raw, import_check, import_problems"
# The rule columns whose odd values (not plain ASCII, an email not of the plain form) the Python rules decide.
# PLAIN_EMAIL_RE without its bounded repeats, which PostgreSQL's regular expressions run twelve times slower;
# with the domain at most 63 characters (ODD) it accepts the same addresses, and longer domains go to Python.
PLAIN_EMAIL = r"^[A-Za-z0-9_%+'-]+(\.[A-Za-z0-9_%+'-]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z]+$"
ODD_EMAIL = (
    "email_raw <> '' AND (length(email_raw) > 254 OR length(split_part(email_raw, '@', 2)) > 63"
    " OR email_raw !~ %(plain_email)s)"
)
NOT_ASCII = " OR ".join(
    f"octet_length({column}) <> length({column})"
    for column in ("kind_raw", "consent_raw", "owner_raw", "phone_raw", "language_raw", "email_raw")
)


def copyable(data: bytes, delimiter: str) -> bool:
    """Whether COPY reads this file as Python's csv module does: no NUL, no end-of-data line, and every quote part
    of a quoted cell that starts and ends at a cell's edge (a stray quote is literal text to Python, not to COPY).
    Rows of uneven length, blank lines and bad UTF-8 make COPY fail, which sends the file to RowChecker too."""
    if b"\x00" in data or (b"\\." in data and END_OF_DATA.search(data)):  # a search only where one may be
        return False
    quotes = data.count(b'"')
    if not quotes:
        return True
    edges = (delimiter.encode(), b"\n", b"\r")
    inside = 0
    for match in QUOTED_CELL.finditer(data):
        start, end = match.span()
        if start and data[start - 1 : start] not in edges and data[:start] != b"\xef\xbb\xbf":
            return False
        if end < len(data) and data[end : end + 1] not in edges:
            return False
        inside += end - start - len(match.group().replace(b'"', b""))
    return inside == quotes


def _unquoted(column: str) -> str:
    """The export's neutralising quote undone ('+44 … is +44 …), as import_rows._unquoted."""
    return (
        f"CASE WHEN left({column}, 1) = '''' AND substr({column}, 2, 1) = ANY(%(formula)s) "
        f"THEN substr({column}, 2) ELSE {column} END"
    )


class SqlCheck:
    """One CSV file checked in the task's transaction; `run` returns its Tally, or None when COPY cannot read the
    file as RowChecker would (then nothing of it is left behind and RowChecker checks it)."""

    def __init__(  # noqa: PLR0913 - what _check_file has read of the file
        self,
        *,
        columns: dict[str, int],
        width: int,
        owners: dict[str, int],
        delimiter: str,
        labels: dict[str, str],
    ) -> None:
        self.columns, self.width, self.owners, self.delimiter = columns, width, owners, delimiter
        self.labels = labels  # {column name: the file's header for it}, to say which column a problem is in
        self.has_contact = any(column in columns for column in CONTACT_COLUMNS)
        self.ascii = self.apostrophes = False  # what the file holds, once run() has read it
        self.own_problems = 0
        self.params: dict[str, Any] = {
            # str.split() and " ".join() of an ASCII value: a run of white space becomes one space
            "split": f"[{ASCII_WHITESPACE}]+",
            "split_needed": f"[{ASCII_WHITESPACE.replace(' ', '')}]|  ",
            "letters": string.ascii_lowercase,
            "formula": sorted(FORMULA_STARTS),
            "plain_email": PLAIN_EMAIL,
            "phone": PHONE_RE.pattern,  # Python's patterns are PostgreSQL's too
            "language": LANGUAGE_RE.pattern,
            "owner_emails": list(owners),
            "owner_ids": list(owners.values()),
        }

    def run(
        self,
        binary: IO[bytes],
        tally: Tally,
        *,
        keep: Callable[[Callable[[IO[bytes]], None]], None],
        reject: Callable[[Callable[[IO[bytes]], None], int], None],
    ) -> bool:
        """Check the file into `tally`, hand the valid rows' COPY to `keep` and the refused rows' to `reject`
        (import_staging's and import_rejected's columns); False when COPY cannot read the file as it is."""
        data = binary.read()
        if not copyable(data, self.delimiter):
            return False
        # What the file holds decides what each value needs: a file of plain ASCII (most are) is trimmed of
        # ASCII's white space only, which btrim() does far faster, and has no value for the Python rules but
        # odd emails; a file without an apostrophe has no neutralising quote to undo.
        self.ascii, self.apostrophes = data.isascii(), b"'" in data
        self.params["whitespace"] = ASCII_WHITESPACE if self.ascii else WHITESPACE
        del data
        binary.seek(0)
        try:
            with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
                cursor.execute(DROP)  # a test's transaction, which never commits, may hold an earlier check's
                cells = ", ".join(f"c{index} text" for index in range(self.width))
                cursor.execute(
                    "CREATE TEMPORARY TABLE import_raw (number integer GENERATED ALWAYS AS IDENTITY (START WITH 2), "
                    f"{cells}) ON COMMIT DROP"
                )
                names = ", ".join(f"c{index}" for index in range(self.width))
                delimiter = "E'\\t'" if self.delimiter == "\t" else f"'{self.delimiter}'"
                cursor.copy_expert(
                    f"COPY import_raw ({names}) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER {delimiter})",
                    binary,
                )
        except DataError:  # uneven rows, a blank line, bytes that are not UTF-8: RowChecker says which
            return False
        with connection.cursor() as cursor:
            longest = ", ".join(f"octet_length(c{index})" for index in range(self.width))  # at least its length
            cursor.execute(f"SELECT count(*), COALESCE(max(greatest({longest})), 0) FROM import_raw")
            rows, longest_cell = cursor.fetchone()
            if longest_cell > csv.field_size_limit():  # RowChecker refuses it, naming the line (or checks it)
                cursor.execute(DROP)
                return False
            if rows > settings.IMPORT_MAX_ROWS:
                raise ImportFileError(
                    f"The file has more than {settings.IMPORT_MAX_ROWS:,} rows under its header: "
                    "split it into smaller files."
                )
            self._clean(cursor)
            self._decide_odd_values(cursor)
            self._own_problems(cursor)
            self._repeats(cursor)
            self._tally(cursor, tally)
        keep(self._copy_valid_rows)
        if tally.invalid:
            reject(self._copy_rejected_rows, tally.invalid)
        with connection.cursor() as cursor:
            cursor.execute(DROP)
        return True

    def _clean(self, cursor: Any) -> None:
        """import_check: one row per row that is not blank, its values as RowChecker reads them (trimmed with
        str.strip()'s white space, the neutralising quote undone; NULL for a column the file lacks) and the rules'
        verdicts on its own cells. Each level computes its values once (OFFSET 0 keeps the planner from folding
        a level into the next, which would repeat its expressions)."""
        trimmed = ", ".join(
            f"btrim(COALESCE(c{self.columns[name]}, ''), %(whitespace)s) AS {alias}"
            if name in self.columns
            else f"NULL::text AS {alias}"
            for name, alias in VALUES
        )
        values = ", ".join(f"{_unquoted(alias)} AS {alias}" if self.apostrophes else alias for _, alias in VALUES)
        everything = ", ".join(f"c{index}" for index in range(self.width))
        contact = (
            " OR ".join(f"COALESCE({alias}, '') <> ''" for alias in CONTACT_ALIASES) if self.has_contact else "false"
        )
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE import_check ON COMMIT DROP AS
            SELECT r.*, {KEY} AS key, {contact} AS has_contact,
                   CASE WHEN kind_raw <> '' AND kind IS NULL THEN %(kind_message)s END AS kind_error,
                   CASE WHEN owner_raw <> '' AND owner_id IS NULL THEN %(no_owner)s END AS owner_error,
                   lower(email_raw) AS email,
                   NULL::text AS email_error,
                   CASE WHEN phone <> '' AND (length(phone) > 40 OR phone !~* %(phone)s)
                        THEN %(phone_message)s END AS phone_error,
                   CASE WHEN language = '' THEN NULL
                        WHEN length(language) BETWEEN 2 AND 3 AND translate(language, %(letters)s, '') = '' THEN NULL
                        WHEN language !~ %(language)s THEN %(language_message)s END AS language_error,
                   CASE WHEN consent_raw <> '' AND consent IS NULL THEN %(consent_message)s END AS consent_error
            FROM (
                SELECT v.*, CASE WHEN phone_raw ~ %(split_needed)s THEN regexp_replace(phone_raw, %(split)s, ' ', 'g')
                            ELSE phone_raw END AS phone,
                       lower(replace(language_raw, '_', '-')) AS language,
                       {_lookup("kind_raw", KINDS)} AS kind,
                       {_lookup("consent_raw", CONSENTS)} AS consent,
                       (%(owner_ids)s::bigint[])[array_position(%(owner_emails)s::text[], lower(owner_raw))] AS owner_id
                FROM (
                    SELECT number, {values}
                    FROM (SELECT r.*, {trimmed} FROM import_raw r OFFSET 0) t
                    -- a blank row is skipped, as RowChecker skips them (the numbers stay); most rows have a name
                    WHERE customer_name <> '' OR btrim(concat({everything}), %(whitespace)s) <> ''
                    OFFSET 0
                ) v
                OFFSET 0
            ) r
            """,
            {
                **self.params,
                "kind_message": KIND_MESSAGE,
                "no_owner": NO_OWNER,
                "phone_message": PHONE_MESSAGE,
                "language_message": LANGUAGE_MESSAGE,
                "consent_message": CONSENT_MESSAGE,
            },
        )

    def _decide_odd_values(self, cursor: Any) -> None:
        """The Python rules decide the values whose SQL reading could differ (a few rows, if any)."""
        cursor.execute(
            "SELECT number, kind_raw, owner_raw, email_raw, phone_raw, language_raw, consent_raw "
            f"FROM import_check WHERE {ODD_EMAIL if self.ascii else f'{ODD_EMAIL} OR {NOT_ASCII}'}",
            self.params,
        )
        decided = [_python_decision(self.owners, *row) for row in cursor.fetchall()]
        if not decided:
            return
        cursor.execute(
            """
            UPDATE import_check c SET kind = d.kind, kind_error = d.kind_error, owner_id = d.owner_id,
                   owner_error = d.owner_error, email = d.email, email_error = d.email_error, phone = d.phone,
                   phone_error = d.phone_error, language = d.language, language_error = d.language_error,
                   consent = d.consent, consent_error = d.consent_error
            FROM jsonb_to_recordset(%s::jsonb) AS d(number integer, kind text, kind_error text, owner_id bigint,
                 owner_error text, email text, email_error text, phone text, phone_error text, language text,
                 language_error text, consent text, consent_error text)
            WHERE c.number = d.number
            """,
            [json.dumps(decided)],
        )

    def _own_problems(self, cursor: Any) -> None:
        problems = ", ".join(f"({order}, '{column}', {sql})" for order, column, sql in OWN_PROBLEMS)
        any_problem = ", ".join(sql for _, _, sql in OWN_PROBLEMS)
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE import_problems ON COMMIT DROP AS
            SELECT c.number, p.ord, p.col, p.message
            FROM (SELECT * FROM import_check WHERE COALESCE({any_problem}) IS NOT NULL OFFSET 0) c,
                 LATERAL (VALUES {problems}) AS p(ord, col, message)
            WHERE p.message IS NOT NULL
            """
        )
        self.own_problems = cursor.rowcount
        cursor.execute("ANALYZE import_problems")  # a temporary table has no statistics: the joins need its size

    def _own_valid(self, table: str) -> str:
        """A row with none of its own problems (the repeats, numbered from CUSTOMER_ORDER on, come later)."""
        if not self.own_problems:
            return "true"
        return (
            f"NOT EXISTS (SELECT FROM import_problems p WHERE p.number = {table}.number AND p.ord < {CUSTOMER_ORDER})"
        )

    def _repeats(self, cursor: Any) -> None:
        """The rows that repeat an earlier one, found among the groups that have more than one row (most files
        have none: then each statement is one pass that groups the rows)."""
        fields = [("customer_name", "customer_name"), ("customer_kind", "kind")]
        fields += [(name, name) for name in ("segment", "region", "external_ref")]
        fields.append(("account_owner_email", "owner_id"))
        assert [name for name, _ in fields] == list(CUSTOMER_FIELDS)
        differs = " ".join(f"WHEN c.{alias} IS DISTINCT FROM f.{alias} THEN '{name}'" for name, alias in fields)
        details = ", ".join(alias for _, alias in fields)
        mine, first = (", ".join(f"{table}.{alias}" for _, alias in fields) for table in ("c", "f"))
        cursor.execute(
            f"""
            INSERT INTO import_problems
            WITH disagreeing AS (  -- the customers whose valid rows do not all give the same details
                SELECT key FROM (SELECT DISTINCT key, {details} FROM import_check i WHERE {self._own_valid("i")}) d
                GROUP BY key HAVING count(*) > 1
            )
            SELECT c.number, {CUSTOMER_ORDER}, CASE {differs} END,
                   'Row ' || f.number || ' gives this customer other details: a customer''s rows must agree.'
            FROM import_check c
            JOIN (SELECT DISTINCT ON (key) key, number, {details} FROM import_check i
                  WHERE {self._own_valid("i")} AND key IN (SELECT key FROM disagreeing) ORDER BY key, number) f
              USING (key)
            WHERE {self._own_valid("c")} AND c.number > f.number AND ROW({mine}) IS DISTINCT FROM ROW({first})
            """
        )
        disagreeing = cursor.rowcount
        if not self.has_contact:
            return
        if disagreeing:
            cursor.execute("ANALYZE import_problems")
        agreeing = (
            f"NOT EXISTS (SELECT FROM import_problems p WHERE p.number = i.number AND p.ord = {CUSTOMER_ORDER})"
            if disagreeing
            else "true"
        )
        cursor.execute(
            f"""
            INSERT INTO import_problems
            SELECT c.number, {CONTACT_ORDER}, 'contact_email', 'Row ' || f.number || ' has the same email.'
            FROM (SELECT email, min(number) FILTER (WHERE {agreeing}) AS number FROM import_check i
                  WHERE {self._own_valid("i")} AND i.has_contact AND i.email <> ''
                  GROUP BY email HAVING count(*) > 1) f
            JOIN import_check c ON c.email = f.email
            WHERE {self._own_valid("c")} AND c.has_contact AND c.number > f.number
            UNION ALL
            SELECT c.number, {CONTACT_ORDER}, 'contact_name',
                   'Row ' || f.number || ' has a contact of this customer with this name and no email.'
            FROM (SELECT key, contact_name, min(number) FILTER (WHERE {agreeing}) AS number FROM import_check i
                  WHERE {self._own_valid("i")} AND i.has_contact AND COALESCE(i.email, '') = ''
                  GROUP BY key, contact_name HAVING count(*) > 1) f
            JOIN import_check c ON c.key = f.key AND c.contact_name = f.contact_name
            WHERE {self._own_valid("c")} AND c.has_contact AND COALESCE(c.email, '') = '' AND c.number > f.number
            """
        )

    def _tally(self, cursor: Any, tally: Tally) -> None:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS "
            "(SELECT FROM import_problems p WHERE p.number = c.number)) FROM import_check c"
        )
        tally.rows, tally.valid = cursor.fetchone()
        tally.invalid = tally.rows - tally.valid
        cursor.execute("SELECT count(*) FROM import_problems")
        tally.error_count += cursor.fetchone()[0]
        room = max(MAX_ERRORS_KEPT - len(tally.errors), 0)
        cursor.execute("SELECT number, col, message FROM import_problems ORDER BY number, ord LIMIT %s", [room])
        tally.errors.extend({"row": number, "column": column, "message": message} for number, column, message in cursor)
        cells = ", ".join(f"COALESCE(left(r.c{index}, 200), '')" for index in tally.positions)
        cursor.execute(
            f"SELECT c.number, ARRAY[{cells}]::text[], "
            "NOT EXISTS (SELECT FROM import_problems p WHERE p.number = c.number) "
            f"FROM (SELECT number FROM import_check ORDER BY number LIMIT {PREVIEW_ROWS}) c "
            "JOIN import_raw r USING (number) ORDER BY c.number"
        )
        tally.preview = [{"row": number, "cells": cells, "valid": valid} for number, cells, valid in cursor]

    def _copy_rejected_rows(self, sink: IO[bytes]) -> None:
        """The refused rows as import_rejected keeps them: the file's cells, what is wrong, the row number."""
        cells = ", ".join(f"COALESCE(r.c{index}, '')" for index in range(self.width))
        with connection.cursor() as cursor:
            cursor.copy_expert(
                cursor.mogrify(
                    f"""
                    COPY (
                        SELECT {cells}, p.problem, r.number
                        FROM import_raw r
                        JOIN (SELECT number, string_agg(COALESCE((%(labels)s::text[])[array_position(%(names)s::text[],
                                     col)], col) || ': ' || message, ' · ' ORDER BY ord) AS problem
                              FROM import_problems GROUP BY number) p USING (number)
                        ORDER BY r.number
                    ) TO STDOUT WITH (FORMAT csv)
                    """,
                    {"names": list(self.labels), "labels": list(self.labels.values())},
                ).decode(),
                sink,
            )

    def _copy_valid_rows(self, sink: IO[bytes]) -> None:
        """The valid rows as import_staging.FIELDS, empty values as NULL (unquoted), in file order."""
        contact = "CASE WHEN has_contact THEN '1' END"
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"""
                COPY (
                    SELECT number, customer_name, kind, NULLIF(segment, ''), NULLIF(region, ''),
                           NULLIF(external_ref, ''), owner_id, {contact},
                           CASE WHEN has_contact THEN contact_name END,
                           CASE WHEN has_contact THEN NULLIF(email, '') END,
                           CASE WHEN has_contact THEN NULLIF(phone, '') END,
                           CASE WHEN has_contact THEN NULLIF(language, '') END,
                           CASE WHEN has_contact THEN consent END
                    FROM import_check c
                    WHERE NOT EXISTS (SELECT FROM import_problems p WHERE p.number = c.number)
                    ORDER BY number
                ) TO STDOUT WITH (FORMAT csv)
                """,
                sink,
            )


def _lookup(column: str, choices: Mapping[str, str]) -> str:
    """The stored value of a column's lower-cased text by a table of our own (KINDS, CONSENTS), as SQL."""
    whens = " ".join(f"WHEN {_literal(key)} THEN {_literal(str(value))}" for key, value in choices.items())
    return f"CASE lower({column}) {whens} END"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


VALUES = (  # (column, its name in import_check)
    ("customer_name", "customer_name"),
    ("customer_kind", "kind_raw"),
    ("segment", "segment"),
    ("region", "region"),
    ("external_ref", "external_ref"),
    ("account_owner_email", "owner_raw"),
    ("contact_name", "contact_name"),
    ("contact_email", "email_raw"),
    ("contact_phone", "phone_raw"),
    ("preferred_language", "language_raw"),
    ("consent", "consent_raw"),
)
CONTACT_ALIASES = ("contact_name", "email_raw", "phone_raw", "language_raw", "consent_raw")


def _python_decision(
    owners: dict[str, int],
    number: int,
    kind: str | None,
    owner: str | None,
    email: str | None,
    phone: str | None,
    language: str | None,
    consent: str | None,
) -> dict[str, Any]:
    """One row's rule columns decided by RowChecker's own rules (the SQL columns of import_check)."""
    decided: dict[str, Any] = {"number": number}
    decided["kind"] = KINDS.get(kind.lower()) if kind else None
    decided["kind_error"] = KIND_MESSAGE if kind and decided["kind"] is None else None
    owner_email = owner.lower() if owner else ""
    decided["owner_id"] = owners.get(owner_email) if owner_email else None
    decided["owner_error"] = NO_OWNER if owner_email and decided["owner_id"] is None else None
    for field, value, rule in (
        ("email", email, email_address),
        ("phone", phone, phone_number),
        ("language", language, language_code),
    ):
        decided[field], decided[f"{field}_error"] = None, None
        if value is not None:
            try:
                decided[field] = rule(value)
            except ValidationError as exc:
                decided[f"{field}_error"] = exc.messages[0]
    decided["consent"] = CONSENTS.get(consent.lower()) if consent else None
    decided["consent_error"] = CONSENT_MESSAGE if consent and decided["consent"] is None else None
    return decided
