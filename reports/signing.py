"""The installation's Ed25519 key that signs pack manifests: an auditor holding its public key can tell a pack
this installation produced from one edited afterwards."""

from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from opslake.permissions import owner_only_secret
from opslake.settings import Settings


def _new_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The private key (created on first use, 0600), its public half written to ``signing-key.pub``."""
    key = serialization.load_pem_private_key(
        owner_only_secret(settings.signing_key_path, _new_key), password=None
    )
    public = public_pem(key.public_key())
    path = settings.signing_public_key_path
    if not path.exists() or path.read_bytes() != public:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(public)
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"a {type(key).__name__}, not an Ed25519 key")
    return key


def signature_holds(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
