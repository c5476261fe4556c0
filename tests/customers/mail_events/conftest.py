"""Helpers for the mail events webhook's tests: an organisation's secret, signed requests in each provider's format,
and a certificate authority of the test's own that Amazon SNS's signing certificate chains to (the certificate's
download is the one thing mocked: it would leave the machine)."""

import base64
import datetime
import json
import time
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.urls import reverse

from customers import sns
from customers.mail_events import mailgun_signature, sign
from customers.models import Contact
from customers.services.mail_events import mail_events_mailgun_key_set, mail_events_secret_rotate
from tests.factories import ContactFactory, CustomerFactory

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"


def hook_url(tenant_or_slug, secret: str = "") -> str:
    slug = getattr(tenant_or_slug, "slug", tenant_or_slug)
    url = reverse("hooks:mail_events", kwargs={"org_slug": slug})
    return f"{url}?secret={secret}" if secret else url


def make_secret(tenant) -> str:
    with tenant.context():
        return mail_events_secret_rotate(organization=tenant.organization, actor=tenant.owner)


def set_mailgun_key(tenant, key: str = "key-mailgun-test-signing-key") -> str:
    with tenant.context():
        mail_events_mailgun_key_set(organization=tenant.organization, actor=tenant.owner, key=key)
    return key


def contact_of(tenant, email: str = "ann@acme.example", **fields) -> Contact:
    with tenant.context():
        customer = CustomerFactory(organization=tenant.organization, name=f"{tenant.slug} Acme")
        return ContactFactory(customer=customer, email=email, name="Ann Smith", **fields)


def fresh(tenant, contact: Contact) -> Contact:
    with tenant.context():
        return Contact.objects.get(pk=contact.pk)


def post_generic(client, tenant_or_slug, secret: str, events: list, *, timestamp: str | None = None, body=None):
    body = body if body is not None else json.dumps({"events": events}).encode()
    timestamp = timestamp or str(int(time.time()))
    return client.post(
        hook_url(tenant_or_slug),
        body,
        content_type="application/json",
        headers={"Closeloop-Timestamp": timestamp, "Closeloop-Signature": sign(secret, timestamp, body)},
    )


def mailgun_body(key: str, event: dict, *, timestamp: str | None = None, token: str = "a" * 50) -> bytes:
    timestamp = timestamp or str(int(time.time()))
    signature = {"timestamp": timestamp, "token": token, "signature": mailgun_signature(key, timestamp, token)}
    return json.dumps({"signature": signature, "event-data": event}).encode()


def mailgun_failed(email: str, severity: str = "permanent", description: str = "550 5.1.1 No such mailbox") -> dict:
    return {
        "event": "failed",
        "severity": severity,
        "recipient": email,
        "timestamp": time.time(),
        "delivery-status": {"code": 550, "description": description, "message": ""},
        "message": {"headers": {"message-id": "20260101.1@mg.example"}},
    }


# --- Amazon SNS --------------------------------------------------------------------------------------------


@dataclass
class Authority:
    """A CA of the test's own, with a signing certificate it issued as SNS's would be."""

    ca_path: str
    cert_pem: bytes
    key: rsa.RSAPrivateKey

    def sign(self, message: dict, version: str = "1") -> dict:
        signed = {**message, "SignatureVersion": version, "SigningCertURL": message.get("SigningCertURL", CERT_URL)}
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 - SNS signature version 1
        signature = self.key.sign(sns.canonical(signed), padding.PKCS1v15(), algorithm)
        return {**signed, "Signature": base64.b64encode(signature).decode()}


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool, dns: str = ""):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    else:
        builder = (
            builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
        )
    return builder.sign(signing_key, hashes.SHA256())


def make_authority(tmp_path, dns: str = "sns.amazonaws.com", name: str = "test-ca.pem") -> Authority:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate(_name("Test Root CA"), _name("Test Root CA"), ca_key.public_key(), ca_key, ca=True)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _certificate(_name(dns), ca.subject, leaf_key.public_key(), ca_key, ca=False, dns=dns)
    path = tmp_path / name
    path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return Authority(str(path), leaf.public_bytes(serialization.Encoding.PEM), leaf_key)


@pytest.fixture
def authority(tmp_path, settings):
    found = make_authority(tmp_path)
    settings.MAIL_EVENTS_SNS_TRUST_STORE = found.ca_path
    sns.forget_certificates()
    yield found
    sns.forget_certificates()


@pytest.fixture
def amazon(monkeypatch, authority):
    """The HTTP fetch that would leave the machine: answers the signing certificate, records every URL asked for."""
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return authority.cert_pem if url.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"

    monkeypatch.setattr(sns, "fetch", fetch)
    return asked


def sns_notification(authority: Authority, ses: dict, *, version: str = "1", **fields) -> dict:
    message = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": json.dumps(ses),
        "Timestamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        **fields,
    }
    return authority.sign(message, version)


def ses_bounce(email: str, bounce_type: str = "Permanent") -> dict:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": email, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        },
        "mail": {"messageId": "ses-id", "commonHeaders": {"messageId": "<not-ours@example.com>"}},
    }


def post_sns(client, tenant_or_slug, secret: str, message: dict, kind: str = "Notification"):
    return client.post(
        hook_url(tenant_or_slug, secret),
        json.dumps(message),
        content_type="text/plain; charset=UTF-8",
        headers={"x-amz-sns-message-type": kind},
    )
