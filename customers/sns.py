"""Amazon SNS messages proved genuine: the signature over the documented fields, by a signing certificate fetched
from Amazon only (https on sns.<region>.amazonaws.com) that chains to the trust store, and the subscription's
confirmation by the same rule. https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
"""

import base64
import re
import ssl
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import DNSName, PolicyBuilder, Store, VerificationError
from django.conf import settings

AMAZON_HOST = re.compile(r"^sns\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?$")
FETCH_TIMEOUT_SECONDS = 5
MAX_CERTIFICATE_BYTES = 64 * 1024
CACHED_CERTIFICATES = 32
# The fields each kind of message signs, in this order (absent optional ones are left out).
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}

_certificates: dict[str, rsa.RSAPublicKey] = {}  # signing certificate URL -> its verified key


class NotGenuine(Exception):
    """The message is not proved to come from Amazon SNS."""


def fetch(url: str) -> bytes:
    """GET an Amazon URL (already checked by `amazon_url`): the one call that leaves the machine."""
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - https, checked host
        return bytes(response.read(MAX_CERTIFICATE_BYTES + 1))


def amazon_url(url: object) -> str:
    """The URL when it is https on an SNS host of Amazon's, with no port, user or other trick; else NotGenuine."""
    if not isinstance(url, str):
        raise NotGenuine("no URL")
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.port is not None or parts.username or not AMAZON_HOST.match(parts.netloc):
        raise NotGenuine("not an Amazon SNS URL")
    return url


def canonical(message: dict[str, Any]) -> bytes:
    fields = SIGNED_FIELDS.get(message.get("Type", ""))
    if fields is None:
        raise NotGenuine("unknown message type")
    lines = []
    for name in fields:
        value = message.get(name)
        if value is None and name == "Subject":
            continue
        if not isinstance(value, str):
            raise NotGenuine(f"missing {name}")
        lines.append(f"{name}\n{value}\n")
    return "".join(lines).encode()


def verify(message: dict[str, Any]) -> None:
    """Raise NotGenuine unless SNS signed this message (SignatureVersion 1: SHA1, 2: SHA256, RSA PKCS#1 v1.5)."""
    algorithm = HASHES.get(str(message.get("SignatureVersion", "")))
    if algorithm is None:
        raise NotGenuine("unknown signature version")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except ValueError:
        raise NotGenuine("signature is not base64") from None
    key = signing_key(amazon_url(message.get("SigningCertURL")))
    try:
        key.verify(signature, canonical(message), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise NotGenuine("signature does not match") from None


def signing_key(url: str) -> rsa.RSAPublicKey:
    """The public key of the certificate at `url`, once it chained to the trust store (kept per URL)."""
    if url in _certificates:
        return _certificates[url]
    pem = fetch(url)
    if len(pem) > MAX_CERTIFICATE_BYTES:
        raise NotGenuine("certificate too large")
    try:
        leaf, *intermediates = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise NotGenuine("not a certificate") from None
    verifier = (
        PolicyBuilder()
        .store(trust_store(settings.MAIL_EVENTS_SNS_TRUST_STORE))
        .build_server_verifier(DNSName(settings.MAIL_EVENTS_SNS_CERT_NAME))
    )
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError:
        raise NotGenuine("certificate does not chain to the trust store") from None
    key = leaf.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise NotGenuine("not an RSA certificate")
    if len(_certificates) >= CACHED_CERTIFICATES:
        _certificates.clear()
    _certificates[url] = key
    return key


@cache
def trust_store(path: str) -> Store:
    """The CA certificates of a PEM file, or of the system's bundle for ""."""
    path = path or ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
    return Store(x509.load_pem_x509_certificates(Path(path).read_bytes()))


def confirm_subscription(message: dict[str, Any]) -> None:
    """Follow a verified SubscriptionConfirmation's SubscribeURL (Amazon's host only), which confirms it."""
    fetch(amazon_url(message.get("SubscribeURL")))


def forget_certificates() -> None:
    """Empty the cache (a test's new certificate authority, a changed trust store)."""
    _certificates.clear()
    trust_store.cache_clear()
