"""The platform's signing identity: its private key, the X.509 certificate (and chain) that
names it, and the two signatures made with it: the credential's JWS and the PDF's PAdES
signature.

This is the only module that touches private key material. By default the key (RSA 3072) and a
self-issued certificate for it are created once in the instance folder; a ministry can supply
its own key (`HOCSO_SIGNING_KEY` / `HOCSO_SIGNING_KEY_FILE`) and the certificate chain issued
for it (`HOCSO_SIGNING_CERT_FILE`). Several hosts must share both.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID, ObjectIdentifier
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko_certvalidator.registry import SimpleCertificateStore

from learning.config import create_private_file

RSA_BITS = 3072
CERT_YEARS = 20  # no time-stamping authority on an intranet: the certificate must outlive PDFs
SIGNATURE_FIELD = "HocSoCertificateSignature"
# RFC 9336 id-kp-documentSigning: what the certificate is for.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")


class SigningSetupError(RuntimeError):
    """The configured key or certificate cannot be used."""


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding (raises ValueError on bad input: any
    character outside the alphabet, which Python's decoder would otherwise drop quietly)."""
    if not isinstance(text, str) or not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


# --- public keys (no secrets) ----------------------------------------------------------------

def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def short_kid(public_key) -> str:
    """Return the platform's short id of a public key ('key-' + 16 hex digits)."""
    if isinstance(public_key, Ed25519PublicKey):  # the id earlier releases gave Ed25519 keys
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = public_key.public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    return "key-" + hashlib.sha256(raw).hexdigest()[:16]


def algorithm_of(public_key) -> str:
    """Return the JWS algorithm a key signs with."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(public_key, Ed25519PublicKey):
        return "EdDSA"
    raise SigningSetupError("The signing key must be RSA (2048 bits or more) or Ed25519.")


def public_jwk(public_key) -> dict:
    """Return the public JWK of a key, with its short id as `kid`."""
    alg = algorithm_of(public_key)
    if alg == "RS256":
        numbers = public_key.public_numbers()
        jwk = {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}
    else:
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw))}
    return {**jwk, "kid": short_kid(public_key), "alg": alg, "use": "sig"}


def public_key_from_jwk(jwk: dict):
    """Return the public key of a JWK (RSA or Ed25519); ValueError when it is neither."""
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    if jwk.get("kty") == "RSA":
        n = int.from_bytes(b64url_decode(jwk["n"]), "big")
        e = int.from_bytes(b64url_decode(jwk["e"]), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    raise ValueError("unsupported key type")


def did_web(base_url: str) -> str:
    """Return the did:web identifier of a site ('did:web:example.gov.vn%3A8443')."""
    parts = urlsplit(base_url)
    did = "did:web:" + quote(parts.netloc, safe="")
    path = parts.path.strip("/")
    return did + (":" + ":".join(quote(p, safe="") for p in path.split("/")) if path else "")


def key_url(did: str, kid: str) -> str:
    """Return the key's DID URL: the JWS `kid` and the JWK's `kid` in the published set."""
    return f"{did}#{kid}"


def published_jwk(jwk: dict, did: str, chain_pem: str | None = None) -> dict:
    """Return a stored public JWK as the JWK set publishes it: `kid` is the key's DID URL
    (the very string credential headers carry) and `x5c` the certificate chain."""
    out = {**jwk, "kid": key_url(did, jwk["kid"])}
    certificates = load_pem_certificates(chain_pem.encode()) if chain_pem else []
    if certificates:
        out["x5c"] = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
                      for c in certificates]
    return out


def did_document(did: str, jwks: list[dict]) -> dict:
    """Return the DID document that publishes the platform's public keys."""
    methods = [{"id": key_url(did, jwk["kid"]), "type": "JsonWebKey2020", "controller": did,
                "publicKeyJwk": {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "n",
                                                                        "e")}}
               for jwk in jwks]
    return {
        "@context": ["https://www.w3.org/ns/did/v1",
                     "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
        "authentication": [m["id"] for m in methods],
    }


def load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """Return the certificates of a PEM bundle, in file order."""
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise SigningSetupError(f"Not a PEM certificate file: {error}") from None


def certificate_pem(certificates: list[x509.Certificate]) -> str:
    """Return certificates as one PEM bundle."""
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)


def same_key(one, other) -> bool:
    """Tell whether two public keys are the same key."""
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return one.public_bytes(*spki) == other.public_bytes(*spki)


# --- the private key and its certificate -----------------------------------------------------

@dataclass(frozen=True)
class Signer:
    """The platform's private key with the certificate chain that names it (leaf first)."""

    private: object  # RSAPrivateKey or Ed25519PrivateKey
    chain: tuple[x509.Certificate, ...]

    @property
    def public(self):
        return self.private.public_key()

    @property
    def kid(self) -> str:
        return short_kid(self.public)

    @property
    def algorithm(self) -> str:
        return algorithm_of(self.public)

    @property
    def public_jwk(self) -> dict:
        return public_jwk(self.public)

    @property
    def chain_pem(self) -> str:
        return certificate_pem(list(self.chain))

    def sign_bytes(self, data: bytes) -> bytes:
        """Return the raw signature of `data` for the key's JWS algorithm."""
        if self.algorithm == "RS256":
            return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.private.sign(data)


def _pem_private(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def self_issued_certificate(key, *, common_name: str, organisation: str,
                            now: datetime) -> x509.Certificate:
    """Return a self-issued document-signing certificate for `key`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64])])
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * CERT_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
    )
    digest = None if isinstance(key, Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, digest)


def load_signer(config: dict, *, now: datetime | None = None) -> Signer:
    """Load the key and its certificate chain from the environment or the instance folder,
    creating a key and a self-issued certificate there once when none is configured."""
    now = now or datetime.now(timezone.utc)
    pem, key_file = config.get("SIGNING_KEY_PEM"), config.get("SIGNING_KEY_FILE")
    instance = Path(config["INSTANCE_DIR"])
    default_key = instance / "signing-key.pem"
    if pem:
        data = pem.encode()
    elif key_file:
        if not Path(key_file).is_file():
            raise SigningSetupError(f"HOCSO_SIGNING_KEY_FILE {key_file} does not exist.")
        data = Path(key_file).read_bytes()
    else:
        if default_key.exists() and _is_retired_ed25519(default_key.read_bytes()):
            # Earlier releases created an Ed25519 key here. Its public half stays published
            # (credentials signed with it still verify); PDF readers need RSA, so start anew.
            os.replace(default_key, instance / "signing-key.ed25519-retired.pem")
            (instance / "signing-cert.pem").unlink(missing_ok=True)
        if not default_key.exists():
            create_private_file(default_key, _pem_private(
                rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)))
        data = default_key.read_bytes()
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise SigningSetupError(f"The signing key is not a readable PEM private key: "
                                f"{error}") from None
    algorithm_of(private.public_key())  # refuses other key types
    if isinstance(private, rsa.RSAPrivateKey) and private.key_size < 2048:
        raise SigningSetupError("An RSA signing key must have at least 2048 bits.")
    chain = _load_chain(config, private, instance, configured_key=bool(pem or key_file),
                        now=now)
    return Signer(private, tuple(chain))


def _is_retired_ed25519(data: bytes) -> bool:
    try:
        return isinstance(serialization.load_pem_private_key(data, password=None),
                          Ed25519PrivateKey)
    except (ValueError, TypeError):
        return False


def _load_chain(config: dict, private, instance: Path, *, configured_key: bool,
                now: datetime) -> list[x509.Certificate]:
    cert_file = config.get("SIGNING_CERT_FILE")
    if cert_file:
        if not Path(cert_file).is_file():
            raise SigningSetupError(f"HOCSO_SIGNING_CERT_FILE {cert_file} does not exist.")
        chain = load_pem_certificates(Path(cert_file).read_bytes())
        if not chain or not same_key(chain[0].public_key(), private.public_key()):
            raise SigningSetupError(
                "The first certificate of HOCSO_SIGNING_CERT_FILE must be issued for the "
                "signing key (HOCSO_SIGNING_KEY or HOCSO_SIGNING_KEY_FILE).")
        return chain
    # A self-issued certificate, made once per key. A configured key gets its certificate
    # beside the other instance files, named after the key, so every host makes the same
    # choice only if they share the instance folder: configure HOCSO_SIGNING_CERT_FILE then.
    name = "signing-cert.pem" if not configured_key else \
        f"signing-cert-{short_kid(private.public_key())}.pem"
    path = instance / name
    if path.exists():
        chain = load_pem_certificates(path.read_bytes())
        if chain and same_key(chain[0].public_key(), private.public_key()):
            return chain
        path.unlink()  # made for another key: make a new one
    organisation = config.get("MINISTRY_NAME") or "HọcSố"
    certificate = self_issued_certificate(private, common_name=f"HọcSố — {organisation}",
                                          organisation=organisation, now=now)
    create_private_file(path, certificate.public_bytes(serialization.Encoding.PEM))
    return load_pem_certificates(path.read_bytes())


# --- JWS ------------------------------------------------------------------------------------

class JWSError(ValueError):
    """The token is malformed or its signature does not verify."""


def sign_jws(payload: dict, signer: Signer, *, kid: str, typ: str | None = "JWT") -> str:
    """Return a compact JWS of a JSON payload, signed with the platform's key."""
    header = {"alg": signer.algorithm, "kid": kid}
    if typ:
        header["typ"] = typ
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
                            .encode()))
    return signing_input + "." + b64url(signer.sign_bytes(signing_input.encode("ascii")))


def read_jws(token: str) -> tuple[dict, dict, bytes, bytes]:
    """Split a compact JWS into header, payload, signing input and signature (unverified)."""
    try:
        head, body, signature = token.strip().split(".")
        header = json.loads(b64url_decode(head))
        payload = json.loads(b64url_decode(body))
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise ValueError("header and payload must be JSON objects")
        return header, payload, f"{head}.{body}".encode("ascii"), b64url_decode(signature)
    except (ValueError, UnicodeError, RecursionError, AttributeError) as error:
        raise JWSError(f"not a compact JWS: {error}") from None


def verify_jws(token: str, public_key) -> dict:
    """Return the payload if the signature verifies with `public_key`, else raise JWSError."""
    header, payload, signing_input, signature = read_jws(token)
    expected = algorithm_of(public_key)
    if header.get("alg") != expected:  # never let the token choose the algorithm
        raise JWSError(f"the algorithm must be {expected}")
    try:
        if expected == "RS256":
            public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            public_key.verify(signature, signing_input)
    except InvalidSignature:
        raise JWSError("the signature does not match the content") from None
    return payload


# --- PDF signatures (PAdES) ------------------------------------------------------------------

class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses (and so validates) the private key again for every
    signature, about 0.35 s for RSA-3072; this one signs with the key already loaded."""

    def __init__(self, private, **kwargs):
        super().__init__(**kwargs)
        self._private = private

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        if isinstance(self._private, rsa.RSAPrivateKey):
            return self._private.sign(data, padding.PKCS1v15(),
                                      get_pyca_cryptography_hash(digest_algorithm))
        return self._private.sign(data)  # Ed25519


_PYHANKO_SIGNERS: dict[str, _LoadedKeySigner] = {}


def _pyhanko_signer(signer: Signer) -> signers.SimpleSigner:
    """Return pyHanko's signer for the platform's key and chain (built once per process)."""
    cache_key = signer.kid + ":" + signer.chain_pem
    cached = _PYHANKO_SIGNERS.get(cache_key)
    if cached is None:
        certificates = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                        for c in signer.chain]
        key = asn1_keys.PrivateKeyInfo.load(signer.private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        cached = _LoadedKeySigner(signer.private, signing_cert=certificates[0], signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs(certificates))
        _PYHANKO_SIGNERS[cache_key] = cached
    return cached


def run_coroutine(make_coroutine):
    """Run pyHanko's async API to completion from synchronous code, also when this thread
    already runs an event loop (asyncio.run refuses that): then in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def sign_pdf(pdf: bytes, signer: Signer, *, reason: str, location: str, name: str) -> bytes:
    """Return the PDF with a PAdES baseline (B-B) certification signature that allows no
    change: any later edit, overlay, added page or metadata change breaks it in any reader."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256", certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason=reason, location=location, name=name)
    pdf_signer = signers.PdfSigner(metadata, signer=_pyhanko_signer(signer))
    return run_coroutine(lambda: pdf_signer.async_sign_pdf(writer)).getvalue()
