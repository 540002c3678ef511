"""The signed credential: an Open Badges 3.0 OpenBadgeCredential as a VC-JWT (OB 3.0 §8) that
a generic JOSE library verifies with the key set the platform publishes, that validates
against 1EdTech's AchievementCredential JSON schema (a copy in tests/certificates/schema), and
that stays verifiable after a key rotation."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jsonschema
import jwt
import pytest
from jsonschema import Draft201909Validator

from certificates import services as certificates
from certificates import signing
from certificates.credential import check_credential
from tests.certificates import steps
from tests.certificates.steps import BASE_URL, NAMES, TITLE
from tests.courses.steps import new_client

DID = "did:web:127.0.0.1%3A5000"  # the did:web of the test configuration's BASE_URL
SCHEMA = json.loads((Path(__file__).parent / "schema" /
                     "ob_v3p0_achievementcredential_schema.json").read_text(encoding="utf-8"))


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict, dict]:
    """Header and payload of a compact JWS, read by hand."""
    head, body, _signature = token.split(".")
    return json.loads(b64decode(head)), json.loads(b64decode(body))


@pytest.fixture
def issued(app, db, tmp_path):
    """A certificate of Nguyễn Thị Hương for a course valid 24 months, completed at NOW."""
    steps.course(tmp_path, validity=24)
    holder = steps.official(NAMES[0])
    return holder, steps.complete(holder)


def verified_by_pyjwt(client, token: str) -> dict:
    """Verify as a wallet would: PyJWT finds the header's kid, as-is, in the published JWKS."""
    key_set = jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").get_json())
    kid = jwt.get_unverified_header(token)["kid"]
    matches = [key for key in key_set.keys if key.key_id == kid]
    assert len(matches) == 1, f"kid {kid!r} is not in the published key set"
    return jwt.decode(token, matches[0], algorithms=["RS256", "EdDSA"],
                      options={"verify_exp": False, "verify_nbf": False})


def test_a_generic_jose_library_verifies_the_credential(app, client, issued):
    _holder, certificate = issued
    header, payload = parts(certificate.credential_jws)
    assert header["typ"] == "JWT" and header["alg"] == "RS256"
    assert header["kid"].startswith(DID + "#")

    claims = verified_by_pyjwt(client, certificate.credential_jws)
    assert claims == payload
    assert claims["iss"] == claims["issuer"]["id"] == DID
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["sub"].startswith("urn:uuid:")
    assert claims["jti"] == claims["id"] == f"{BASE_URL}/verify/{certificate.code}"
    assert claims["nbf"] == int(certificate.issued_at.timestamp())
    assert claims["exp"] == int(certificate.expires_at.timestamp())

    # The DID document names the same key.
    document = client.get("/.well-known/did.json").get_json()
    assert header["kid"] in document["assertionMethod"]


def test_the_credential_validates_against_the_ob_3_schema(app, issued):
    _holder, certificate = issued
    _header, payload = parts(certificate.credential_jws)
    Draft201909Validator(SCHEMA, format_checker=Draft201909Validator.FORMAT_CHECKER).validate(
        payload)
    # The copy of the schema really checks: without its required issuer it fails.
    with pytest.raises(jsonschema.ValidationError):
        Draft201909Validator(SCHEMA).validate({k: v for k, v in payload.items()
                                               if k != "issuer"})


def test_the_credential_is_an_open_badge_with_the_snapshot(app, issued):
    holder, certificate = issued
    _header, credential = parts(certificate.credential_jws)
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert any("purl.imsglobal.org/spec/ob/v3p0" in c for c in credential["@context"])
    assert set(credential["type"]) == {"VerifiableCredential", "OpenBadgeCredential"}
    assert credential["issuer"]["name"] == "Bộ Ngoại giao"
    assert credential["validFrom"] == "2025-03-03T08:00:00Z"
    assert credential["validUntil"] == "2027-03-03T08:00:00Z"
    subject = credential["credentialSubject"]
    names = [i["identityHash"] for i in subject["identifier"] if i["identityType"] == "name"]
    assert names == [NAMES[0]]
    achievement = subject["achievement"]
    assert achievement["name"] == TITLE
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["version"] == "1.0.0" and achievement["inLanguage"] == "vi"
    assert subject["activityEndDate"] == "2025-03-03T08:00:00Z"
    assert subject["result"][0]["value"] == "87.5"
    assert credential["hocso"]["serial"] == certificate.serial
    assert holder.email not in json.dumps(credential)


def test_one_official_keeps_one_subject_id(app, db, tmp_path):
    steps.course(tmp_path)
    steps.course(tmp_path, "khoa-hai", title="Khóa hai")
    holder = steps.official()
    first = parts(steps.complete(holder).credential_jws)[1]["sub"]
    second = parts(steps.complete(holder, "khoa-hai").credential_jws)[1]["sub"]
    other = parts(steps.complete(steps.official(NAMES[1])).credential_jws)[1]["sub"]
    assert first == second != other


def test_a_course_without_validity_gives_no_expiry(app, db, tmp_path):
    steps.course(tmp_path)
    certificate = steps.complete(steps.official())
    payload = parts(certificate.credential_jws)[1]
    assert certificate.expires_at is None
    assert "validUntil" not in payload and "exp" not in payload
    Draft201909Validator(SCHEMA).validate(payload)


def test_the_credential_download_is_the_same_credential(app, issued):
    holder, certificate = issued
    response = new_client(app, holder).get(f"/certificates/{certificate.id}/credential.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = json.loads(response.data)
    assert body["type"] == "EnvelopedVerifiableCredential"
    assert body["id"] == "data:application/vc+jwt," + certificate.credential_jws
    assert body["credential"] == parts(certificate.credential_jws)[1]


@pytest.mark.parametrize("change", ["typ", "sub", "iss", "jti", "nbf", "exp", "no-subject-id"])
def test_a_credential_breaking_the_vc_jwt_rules_does_not_verify(app, issued, change):
    """Even signed with the platform's own key, a token off OB 3.0's rules is refused."""
    _holder, certificate = issued
    header, payload = parts(certificate.credential_jws)
    if change == "typ":
        header["typ"] = "vc+ld+jwt"
    elif change == "no-subject-id":
        del payload["credentialSubject"]["id"]
    else:
        payload[change] = "urn:other" if change in ("sub", "iss", "jti") else payload[change] + 1
    token = signing.sign_jws(payload, certificates.signer(), kid=header["kid"],
                             typ=header.get("typ"))
    checked = check_credential(token, certificates.known_keys())
    assert checked.state == "nonconforming" and checked.facts == {}
    assert check_credential(certificate.credential_jws, certificates.known_keys()).ok


def test_a_credential_with_its_algorithm_swapped_is_refused(app, issued):
    _holder, certificate = issued
    head, body, signature = certificate.credential_jws.split(".")
    header = parts(certificate.credential_jws)[0]
    forged_head = base64.urlsafe_b64encode(json.dumps({**header, "alg": "none"}).encode()) \
        .rstrip(b"=").decode()
    checked = check_credential(f"{forged_head}.{body}.", certificates.known_keys())
    assert not checked.ok and checked.facts == {}
    checked = check_credential(f"{head}.{body}.{signature[:-4]}AAAA", certificates.known_keys())
    assert checked.state == "bad-signature"
    # a character outside base64url, which Python's decoder would drop quietly: another token
    for stray in ("!", "*", " ", "\n"):
        checked = check_credential(f"{head}.{body}.{signature[:10]}{stray}{signature[10:]}",
                                   certificates.known_keys())
        assert not checked.ok and checked.facts == {}, stray


def test_credentials_signed_before_a_key_change_stay_valid(app, client, db, tmp_path):
    """After a new signing key (rotation), the old public key and certificate stay published:
    old credentials and PDFs still verify; new ones are signed with the new key."""
    steps.course(tmp_path)
    old_holder = steps.official(NAMES[0])
    old = steps.complete(old_holder)
    old_pdf = steps.fetch_pdf(new_client(app, old_holder), old.id)
    previous = certificates.signer()
    rotated = signing.load_signer({"INSTANCE_DIR": str(tmp_path / "rotated"),
                                   "MINISTRY_NAME": "Bộ Ngoại giao"})
    app.extensions["hocso_signer"] = rotated
    try:
        new_holder = steps.official(NAMES[1])
        new = steps.complete(new_holder)
        assert parts(new.credential_jws)[0]["kid"] == f"{DID}#{rotated.kid}"
        published = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
        assert {f"{DID}#{previous.kid}", f"{DID}#{rotated.kid}"} <= published
        verified_by_pyjwt(client, old.credential_jws)
        verified_by_pyjwt(client, new.credential_jws)
        new_pdf = steps.fetch_pdf(new_client(app, new_holder), new.id)
        for data in (old_pdf, new_pdf):
            verdict = certificates.check_pdf(data, max_bytes=app.config["VERIFY_MAX_BYTES"],
                                             now=steps.NOW, lookup=certificates.find_by_code)
            assert verdict.outcome == "genuine", verdict.detail
    finally:
        app.extensions["hocso_signer"] = previous
