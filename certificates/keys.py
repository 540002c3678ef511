"""The platform's keys as the rest of the app sees them: the signer of this process, the issuer
DID, and every public key (with its certificate chain) the platform has signed with, kept in
the database so credentials and PDFs signed before a key rotation still verify.

Private key material stays inside `certificates.signing`; this module only holds the loaded
signer and publishes public halves.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from certificates import signing
from certificates.models import PublishedKey
from learning.db import db


def signer() -> signing.Signer:
    """Return the platform's signer (loaded once per process)."""
    cached = current_app.extensions.get("hocso_signer")
    if cached is None:
        cached = signing.load_signer(current_app.config)
        current_app.extensions["hocso_signer"] = cached
    return cached


def issuer_did() -> str:
    """Return the issuer's DID (did:web of the platform's public address)."""
    return signing.did_web(current_app.config["BASE_URL"])


def publish_key(key: signing.Signer, *, now: datetime) -> None:
    """Record the key's public half and certificate chain, so what it signed stays
    verifiable after a key rotation."""
    existing = db.session.get(PublishedKey, key.kid)
    if existing is not None:
        if not existing.chain_pem:  # published by an earlier release, before PDF signatures
            existing.chain_pem = key.chain_pem
        return
    try:
        with db.session.begin_nested():
            db.session.add(PublishedKey(kid=key.kid, public_jwk=key.public_jwk,
                                        chain_pem=key.chain_pem, created_at=now))
    except IntegrityError:
        pass  # another worker published it at the same moment


def published() -> list[PublishedKey]:
    """Return every key the platform has signed with, oldest first."""
    return list(db.session.scalars(select(PublishedKey).order_by(PublishedKey.created_at,
                                                                 PublishedKey.kid)))


def known_keys() -> dict[str, dict]:
    """Return every public JWK the platform has signed with, by short kid."""
    return {k.kid: k.public_jwk for k in published()}


def jwks() -> list[dict]:
    """Return the published JWK set's keys: `kid` as credential headers carry it."""
    did = issuer_did()
    return [signing.published_jwk(k.public_jwk, did, k.chain_pem) for k in published()]
