"""Signatures the organisation can show outside the database: audit checkpoints now, evidence-pack manifests later.

Each organisation has its own Ed25519 key, derived from a master key held in the environment (AUDIT_SIGNING_KEYS,
never in the database): seed = HMAC-SHA256(master, "closeloop.audit-signing:<organisation id>"). Masters carry a
key id so they can rotate: the first signs, every one listed still verifies what it signed. The public key of an
organisation's key id is what an auditor needs to check a signature offline.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings


@dataclass(frozen=True)
class Signature:
    key_id: str
    value: str  # base64 of the 64-byte Ed25519 signature


def _masters() -> dict[str, bytes]:
    """{key id: master}, signing key first (settings.AUDIT_SIGNING_KEYS: "id:secret,id:secret")."""
    return dict(settings.AUDIT_SIGNING_KEYS)


def _private_key(organization_id: int, key_id: str) -> Ed25519PrivateKey:
    masters = _masters()
    if key_id not in masters:
        raise KeyError(f"no audit signing key {key_id!r} (AUDIT_SIGNING_KEYS)")
    seed = hmac.new(masters[key_id], f"closeloop.audit-signing:{organization_id}".encode(), hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def sign(*, organization_id: int, payload: bytes) -> Signature:
    key_id = next(iter(_masters()))
    value = _private_key(organization_id, key_id).sign(payload)
    return Signature(key_id=key_id, value=base64.b64encode(value).decode())


def verify(*, organization_id: int, payload: bytes, signature: Signature) -> bool:
    """Whether the organisation's key of that id signed the payload; False for an unknown key id or bad value."""
    try:
        public = _private_key(organization_id, signature.key_id).public_key()
        public.verify(base64.b64decode(signature.value, validate=True), payload)
    except (KeyError, InvalidSignature, ValueError):
        return False
    return True


def public_key_pem(*, organization_id: int, key_id: str) -> str:
    public = _private_key(organization_id, key_id).public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
