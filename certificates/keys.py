"""The platform's Ed25519 signing key, its public JWK, the did:web document and compact JWS.

The private key comes from the environment (HOCSO_SIGNING_KEY: a PEM text, or
HOCSO_SIGNING_KEY_FILE: a path); without either, a key is created once in the instance folder
(fine for one host; several hosts must share the same key through the environment).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SigningKey:
    """The private key and what identifies its public half."""

    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def kid(self) -> str:
        """A stable key id derived from the public key."""
        return "key-" + hashlib.sha256(self.public_raw).hexdigest()[:16]

    @property
    def public_jwk(self) -> dict:
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(self.public_raw), "kid": self.kid,
                "alg": "EdDSA", "use": "sig"}


def load_signing_key(config: dict) -> SigningKey:
    """Load the key from the environment or the instance folder (creating it there once)."""
    pem = config.get("SIGNING_KEY_PEM")
    path = config.get("SIGNING_KEY_FILE")
    if pem:
        data = pem.encode()
    else:
        key_path = Path(path) if path else Path(config["INSTANCE_DIR"]) / "signing-key.pem"
        if not key_path.exists():
            if path:
                raise RuntimeError(f"HOCSO_SIGNING_KEY_FILE {path} does not exist.")
            key_path.parent.mkdir(parents=True, exist_ok=True)
            fresh = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(fresh)
        data = key_path.read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError("The signing key must be an Ed25519 private key (PEM, PKCS#8).")
    return SigningKey(key)


def public_key_from_jwk(jwk: dict) -> Ed25519PublicKey:
    """Return the Ed25519 public key of a JWK."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))


def did_web(base_url: str) -> str:
    """Return the did:web identifier of a site ('did:web:example.gov.vn%3A8443')."""
    parts = urlsplit(base_url)
    did = "did:web:" + quote(parts.netloc, safe="")
    path = parts.path.strip("/")
    return did + (":" + ":".join(quote(p, safe="") for p in path.split("/")) if path else "")


def did_document(did: str, jwks: list[dict]) -> dict:
    """Return the DID document that publishes the platform's public keys."""
    methods = [{"id": f"{did}#{jwk['kid']}", "type": "JsonWebKey2020", "controller": did,
                "publicKeyJwk": {k: jwk[k] for k in ("kty", "crv", "x")}} for jwk in jwks]
    return {
        "@context": ["https://www.w3.org/ns/did/v1",
                     "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
        "authentication": [m["id"] for m in methods],
    }


def sign_jws(payload: dict, key: SigningKey, *, kid: str, typ: str = "vc+jwt") -> str:
    """Return a compact JWS (EdDSA) of a JSON payload."""
    header = {"alg": "EdDSA", "typ": typ, "kid": kid}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
                            .encode()))
    return signing_input + "." + b64url(key.private.sign(signing_input.encode("ascii")))


class JWSError(ValueError):
    """The token is malformed or its signature does not verify."""


def read_jws(token: str) -> tuple[dict, dict, bytes, bytes]:
    """Split a compact JWS into header, payload, signing input and signature (unverified)."""
    try:
        head, body, signature = token.strip().split(".")
        header = json.loads(b64url_decode(head))
        payload = json.loads(b64url_decode(body))
        return header, payload, f"{head}.{body}".encode("ascii"), b64url_decode(signature)
    except (ValueError, UnicodeDecodeError) as error:
        raise JWSError(f"not a compact JWS: {error}") from None


def verify_jws(token: str, public_key: Ed25519PublicKey) -> dict:
    """Return the payload if the EdDSA signature verifies, else raise JWSError."""
    header, payload, signing_input, signature = read_jws(token)
    if header.get("alg") != "EdDSA":
        raise JWSError("unsupported algorithm")
    try:
        public_key.verify(signature, signing_input)
    except InvalidSignature:
        raise JWSError("the signature does not match the content") from None
    return payload
