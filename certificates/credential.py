"""The Open Badges 3.0 `OpenBadgeCredential` a certificate carries, as a VC-JWT (OB 3.0 §8).

Built from the certificate's snapshot only. The JWT's registered claims mirror the credential
(`iss` = issuer id, `sub` = credentialSubject id, `nbf` = validFrom, `jti` = id, `exp` =
validUntil), the header's `kid` is the key's DID URL exactly as `/.well-known/jwks.json` lists
it, and `typ` is "JWT", so generic JOSE libraries verify it. Verification reports the facts only
when the signature holds and the token follows those rules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from certificates.signing import (
    JWSError,
    Signer,
    key_url,
    public_key_from_jwk,
    read_jws,
    sign_jws,
    verify_jws,
)

CONTEXTS = ["https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
# Names credential subjects: urn:uuid:<uuid5(namespace, issuer + official)>.
SUBJECT_NAMESPACE = uuid.UUID("6f1f3c2e-9a4b-5d7e-8c1f-2b3a4d5e6f70")
CRITERIA = {
    "all_lessons": "All lessons of the course completed.",
    "all_lessons_and_quizzes": "All lessons completed and every required quiz passed.",
}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


def _epoch(moment: datetime) -> int:
    return int(moment.astimezone(timezone.utc).replace(microsecond=0).timestamp())


def subject_id(issuer_did: str, user_id: int) -> str:
    """Return the stable credentialSubject id of an official for this issuer."""
    return "urn:uuid:" + str(uuid.uuid5(SUBJECT_NAMESPACE, f"{issuer_did}|official|{user_id}"))


def build_credential(snapshot: dict, *, issuer_did: str, base_url: str, subject: str) -> dict:
    """Return the OpenBadgeCredential for a certificate snapshot, with its JWT claims."""
    base = base_url.rstrip("/")
    verify_url = f"{base}/verify/{snapshot['code']}"
    credential_subject = {
        "id": subject,
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": snapshot["holder_name"]},
        ],
        "achievement": {
            "id": f"{base}/courses/{snapshot['course_slug']}#version-"
                  f"{snapshot['course_version']}",
            "type": ["Achievement"],
            "achievementType": "CertificateOfCompletion",
            "name": snapshot["course_title"],
            "description": snapshot.get("course_summary") or snapshot["course_title"],
            "criteria": {"narrative": snapshot.get("criteria") or "Course completed."},
            "version": snapshot["course_version"],
            "inLanguage": snapshot["language"],
        },
        "activityEndDate": _iso(snapshot["completed_at"]),
    }
    if snapshot.get("staff_number"):
        credential_subject["identifier"].append(
            {"type": "IdentityObject", "identityType": "identifier", "hashed": False,
             "identityHash": snapshot["staff_number"]})
    if snapshot.get("score") is not None:
        credential_subject["achievement"]["resultDescription"] = [{
            "id": "urn:hocso:result:score", "type": ["ResultDescription"],
            "name": "Score", "resultType": "Percent"}]
        credential_subject["result"] = [{
            "type": ["Result"], "resultDescription": "urn:hocso:result:score",
            "value": f"{snapshot['score']:g}"}]
    credential = {
        "@context": CONTEXTS,
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": snapshot["issuer_name"],
                   "url": base},
        "validFrom": _iso(snapshot["issued_at"]),
        "name": snapshot["course_title"],
        "credentialSubject": credential_subject,
        "hocso": {"serial": snapshot["serial"], "department": snapshot.get("department", "")},
        # The registered claims of a VC-JWT (OB 3.0 §8.2.4).
        "iss": issuer_did,
        "sub": subject,
        "nbf": _epoch(snapshot["issued_at"]),
        "jti": verify_url,
    }
    if snapshot.get("expires_at"):
        credential["validUntil"] = _iso(snapshot["expires_at"])
        credential["exp"] = _epoch(snapshot["expires_at"])
    return credential


def sign_credential(credential: dict, signer: Signer) -> str:
    """Sign the credential as a VC-JWT whose header names the key by its published kid."""
    return sign_jws(credential, signer, kid=key_url(credential["iss"], signer.kid), typ="JWT")


def is_current_format(token: str) -> bool:
    """Tell whether a stored token follows today's VC-JWT rules (earlier releases did not)."""
    try:
        header, payload, _, _ = read_jws(token)
    except JWSError:
        return False
    return header.get("typ") == "JWT" and "sub" in payload and "jti" in payload


def facts_of(credential: dict) -> dict:
    """Return the facts a person reads on the certificate, from a credential."""
    subject = credential.get("credentialSubject") or {}
    names = [i.get("identityHash") for i in subject.get("identifier") or []
             if isinstance(i, dict) and i.get("identityType") == "name"]
    result = (subject.get("result") or [{}])[0]
    achievement = subject.get("achievement") or {}
    verify_url = str(credential.get("id") or "")
    return {
        "serial": (credential.get("hocso") or {}).get("serial"),
        "holder_name": names[0] if names else None,
        "course_title": achievement.get("name"),
        "course_version": achievement.get("version"),
        "language": achievement.get("inLanguage"),
        "completed_at": subject.get("activityEndDate"),
        "score": result.get("value") if isinstance(result, dict) else None,
        "issued_at": credential.get("validFrom"),
        "valid_until": credential.get("validUntil"),
        "verify_url": verify_url,
        "code": verify_url.rstrip("/").rsplit("/", 1)[-1] if verify_url else None,
    }


@dataclass
class CredentialCheck:
    """Whether a credential holds; its facts are given only when it does."""

    state: str  # valid, missing, malformed, unknown-key, bad-signature, nonconforming
    credential: dict = field(default_factory=dict)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "valid"

    @property
    def facts(self) -> dict:
        """Return the credential's facts, or {} when it did not verify."""
        return facts_of(self.credential) if self.ok else {}


def _conformance_problem(header: dict, payload: dict) -> str | None:
    """Return what breaks OB 3.0's VC-JWT rules, or None."""
    if header.get("typ", "JWT") != "JWT":
        return "the JOSE typ must be JWT"
    subject = payload.get("credentialSubject")
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(subject, dict) or not subject.get("id"):
        return "credentialSubject.id is missing"
    expected = {"iss": issuer_id, "sub": subject["id"], "jti": payload.get("id")}
    for claim, value in expected.items():
        if not value or payload.get(claim) != value:
            return f"the {claim} claim does not match the credential"
    for claim, name in (("nbf", "validFrom"), ("exp", "validUntil")):
        moment = payload.get(name)
        if moment is None and claim == "exp":
            if "exp" in payload:
                return "exp is given but validUntil is not"
            continue
        try:
            stamp = _epoch(datetime.fromisoformat(str(moment).replace("Z", "+00:00")))
        except (TypeError, ValueError):
            return f"{name} is not a date"
        if payload.get(claim) != stamp:
            return f"the {claim} claim does not match {name}"
    return None


def check_credential(token: str, known_keys: dict[str, dict]) -> CredentialCheck:
    """Verify a VC-JWT against the platform's public JWKs (by short kid); never raises."""
    try:
        header, payload, _, _ = read_jws(token)
    except JWSError as error:
        return CredentialCheck("malformed", detail=str(error))
    kid = str(header.get("kid", "")).rsplit("#", 1)[-1]
    jwk = known_keys.get(kid)
    if jwk is None:
        return CredentialCheck("unknown-key", detail="signed by a key this platform never used")
    try:
        verified = verify_jws(token, public_key_from_jwk(jwk))
    except (JWSError, ValueError) as error:
        return CredentialCheck("bad-signature", detail=str(error))
    problem = _conformance_problem(header, verified)
    if problem:
        return CredentialCheck("nonconforming", detail=problem)
    return CredentialCheck("valid", verified)
