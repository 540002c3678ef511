"""The Open Badges 3.0 `OpenBadgeCredential` a certificate carries, as a VC-JWT (EdDSA).

Built from the certificate's snapshot only. Verification checks the signature against the
platform's published keys and reports what it says, so a PDF can be compared with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from certificates.keys import (
    JWSError,
    SigningKey,
    public_key_from_jwk,
    read_jws,
    sign_jws,
    verify_jws,
)

CONTEXTS = ["https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


def build_credential(snapshot: dict, *, issuer_did: str, base_url: str) -> dict:
    """Return the OpenBadgeCredential for a certificate snapshot (plain values)."""
    verify_url = f"{base_url.rstrip('/')}/verify/{snapshot['code']}"
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": snapshot["holder_name"]},
        ],
        "achievement": {
            "id": f"{base_url.rstrip('/')}/courses/{snapshot['course_slug']}"
                  f"#version-{snapshot['course_version']}",
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": snapshot["course_title"],
            "description": snapshot.get("course_summary") or snapshot["course_title"],
            "criteria": {"narrative": snapshot.get("criteria", "")},
            "version": snapshot["course_version"],
            "inLanguage": snapshot["language"],
        },
        "activityEndDate": _iso(snapshot["completed_at"]),
    }
    if snapshot.get("staff_number"):
        subject["identifier"].append(
            {"type": "IdentityObject", "identityType": "identifier", "hashed": False,
             "identityHash": snapshot["staff_number"]})
    if snapshot.get("score") is not None:
        subject["achievement"]["resultDescription"] = [{
            "id": "urn:hocso:result:score", "type": ["ResultDescription"],
            "name": "Score", "resultType": "Percent"}]
        subject["result"] = [{"type": ["Result"], "resultDescription": "urn:hocso:result:score",
                              "value": f"{snapshot['score']:g}"}]
    credential = {
        "@context": CONTEXTS,
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": snapshot["issuer_name"]},
        "validFrom": _iso(snapshot["issued_at"]),
        "name": snapshot["course_title"],
        "credentialSubject": subject,
        "hocso": {"serial": snapshot["serial"], "department": snapshot.get("department", "")},
    }
    if snapshot.get("expires_at"):
        credential["validUntil"] = _iso(snapshot["expires_at"])
    return credential


def sign_credential(credential: dict, key: SigningKey) -> str:
    """Sign the credential as a VC-JWT whose header names the issuer's key."""
    return sign_jws(credential, key, kid=f"{credential['issuer']['id']}#{key.kid}")


@dataclass
class CredentialCheck:
    """What a credential says and whether its signature holds."""

    state: str  # "valid", "tampered", "unknown-key", "malformed"
    credential: dict = field(default_factory=dict)
    detail: str = ""

    @property
    def claims(self) -> dict:
        """Return the facts a person reads on the certificate, from the credential."""
        credential = self.credential or {}
        subject = credential.get("credentialSubject", {})
        names = [i.get("identityHash") for i in subject.get("identifier", [])
                 if i.get("identityType") == "name"]
        result = subject.get("result") or [{}]
        return {
            "serial": credential.get("hocso", {}).get("serial"),
            "holder_name": names[0] if names else None,
            "course_title": subject.get("achievement", {}).get("name"),
            "course_version": subject.get("achievement", {}).get("version"),
            "completed_at": subject.get("activityEndDate"),
            "score": result[0].get("value"),
            "valid_until": credential.get("validUntil"),
            "verify_url": credential.get("id"),
        }


def check_credential(token: str, known_keys: dict[str, dict]) -> CredentialCheck:
    """Verify a VC-JWT against known public JWKs (by kid); never raises."""
    try:
        header, payload, _, _ = read_jws(token)
    except JWSError as error:
        return CredentialCheck("malformed", detail=str(error))
    kid = str(header.get("kid", "")).rsplit("#", 1)[-1]
    jwk = known_keys.get(kid)
    if jwk is None:
        return CredentialCheck("unknown-key", payload, f"signed by an unknown key ({kid})")
    try:
        verified = verify_jws(token, public_key_from_jwk(jwk))
    except (JWSError, ValueError) as error:
        return CredentialCheck("tampered", payload, str(error))
    return CredentialCheck("valid", verified)
