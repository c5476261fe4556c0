"""The bytes the outbox writes itself for the SMTP backend are the email Django would have sent: each message goes
through the real SMTP path into the sink, is parsed back, and matches Django's own EmailMultiAlternatives of the
same message, header for header and part for part (accents, quoted sender names, international domains, lines too
long for SMTP, text without HTML, a line that starts with a dot); a newline in a header is refused as Django
refuses it."""

import email
from email import policy

import pytest
from django.core.mail import BadHeaderError
from django.core.mail.message import sanitize_address

from qms.outbox.delivery import Mailer, email_of
from qms.outbox.mime import envelope_of
from qms.outbox.models import OutboxMessage

HEADERS = ["Subject", "From", "To", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted"]
LONG_LINE = "<p>" + "Danke für Ihre Antwort. " * 200 + "</p>"  # 4,800 characters without a line break

CASES = {
    "plain English": dict(subject="How did we do?", body_text="Hello,\n\nTell us.\n", body_html="<p>Hello</p>\n"),
    "German, with a quoted sender": dict(
        subject="Wie zufrieden sind Sie mit Müller & Söhne?",
        body_text="Grüße aus Köln\n.Punkt am Zeilenanfang\nFrom here on\n",
        body_html="<p>Grüße — äöü ß</p>",
        headers={"From": '"Müller, Söhne & Co" <no-reply@closeloop.local>'},
    ),
    "an international domain": dict(
        subject="Your view", body_text="Hi\n", body_html="<p>Hi</p>", to_email="kunde@bücher.example"
    ),
    "a line longer than SMTP allows": dict(subject="Long", body_text="Short text\n", body_html=LONG_LINE),
    "text without HTML": dict(subject="Text only", body_text="Just words\r\nand more words", body_html=""),
    "a long ASCII subject": dict(subject=" ".join(["How did we do"] * 20), body_text="x", body_html="<b>x</b>"),
}


def _message(n: int, **fields) -> OutboxMessage:
    defaults = {
        "to_email": f"person{n}@example.com",
        "message_id": f"<case-{n}@closeloop.local>",
        "headers": {},
    }
    message = OutboxMessage(**{**defaults, **fields})
    message.headers = {
        **message.headers,
        "List-Unsubscribe": f"<https://closeloop.example/u/tok{n}/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    return message


def _parts(parsed) -> list[tuple[str, str]]:
    return [(part.get_content_type(), part.get_content()) for part in parsed.walk() if not part.is_multipart()]


@pytest.mark.parametrize("case", CASES)
def test_the_bytes_written_for_smtp_are_the_email_django_would_send(case, smtp_sink):
    message = _message(list(CASES).index(case), **CASES[case])
    mailer = Mailer()
    try:
        mailer.send(message)
    finally:
        mailer.close()
    (received,) = smtp_sink.accepted
    sent_by_django = email_of(message).message().as_bytes(linesep="\r\n")
    sent_by_django += b"" if sent_by_django.endswith(b"\r\n") else b"\r\n"  # as smtplib ends the DATA
    django = email.message_from_bytes(sent_by_django, policy=policy.default)

    assert {h: str(received[h]) for h in HEADERS} == {h: str(django[h]) for h in HEADERS}
    assert received.get_content_type() == django.get_content_type()
    assert _parts(received) == _parts(django)
    assert _parts(received)[0][1].replace("\r\n", "\n").rstrip() == message.body_text.replace("\r\n", "\n").rstrip()
    envelope = envelope_of(message)
    assert envelope.sender == sanitize_address(email_of(message).from_email, "utf-8")
    assert envelope.recipients == [sanitize_address(message.to_email, "utf-8")]
    assert all(len(line) <= 998 for line in envelope.data.split(b"\r\n"))


def test_a_long_line_goes_quoted_printable_and_short_ones_eight_bit():
    data = envelope_of(_message(1, **CASES["a line longer than SMTP allows"])).data
    assert b"Content-Transfer-Encoding: quoted-printable" in data and b"Content-Transfer-Encoding: 8bit" in data


@pytest.mark.parametrize("field", ["subject", "header"])
def test_a_newline_in_a_header_is_refused(field):
    fields = {"subject": "Hello\nBcc: everyone@example.com"} if field == "subject" else {
        "subject": "Hello", "headers": {"X-Note": "a\r\nBcc: everyone@example.com"}}  # fmt: skip
    with pytest.raises(BadHeaderError):
        envelope_of(_message(1, body_text="x", body_html="", **fields))
