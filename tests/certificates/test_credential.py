"""The signed credential: an Open Badges 3.0 OpenBadgeCredential as a VC-JWT (EdDSA) that
verifies with the key the platform publishes (JWKS and did:web document); tampering with it,
signing it with another key, or editing the PDF's visible text is detected, by the service,
by `flask certificates verify` and in the download."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from certificates import keys
from certificates import services as certificates
from learning import clock
from tests.certificates import steps
from tests.certificates.steps import BASE_URL, NAMES, NOW, TITLE
from tests.courses.steps import new_client

DID = "did:web:127.0.0.1%3A5000"  # the did:web of the test configuration's BASE_URL


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parts(token: str) -> tuple[dict, dict, bytes, bytes]:
    """Header, payload, signing input and signature of a compact JWS, read by hand."""
    head, body, signature = token.split(".")
    return (json.loads(b64decode(head)), json.loads(b64decode(body)),
            f"{head}.{body}".encode(), b64decode(signature))


def signed_by(key: Ed25519PrivateKey, header: dict, payload: dict) -> str:
    """A compact JWS of `payload` signed with `key` under `header`."""
    signing_input = (b64encode(json.dumps(header).encode()) + "." +
                     b64encode(json.dumps(payload, ensure_ascii=False).encode()))
    return signing_input + "." + b64encode(key.sign(signing_input.encode()))


@pytest.fixture
def issued(app, db, tmp_path):
    """A certificate of Nguyễn Thị Hương for a course valid 24 months, completed at NOW."""
    steps.course(tmp_path, validity=24)
    holder = steps.official(NAMES[0])
    return holder, steps.complete(holder)


def test_the_credential_verifies_with_the_published_key(app, client, issued):
    _holder, certificate = issued
    header, payload, signing_input, signature = parts(certificate.credential_jws)

    jwks = client.get("/.well-known/jwks.json").get_json()
    did_document = client.get("/.well-known/did.json").get_json()
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    did, kid = header["kid"].split("#")
    assert did == DID == did_document["id"] == payload["issuer"]["id"]
    [jwk] = [k for k in jwks["keys"] if k["kid"] == kid]
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    Ed25519PublicKey.from_public_bytes(b64decode(jwk["x"])).verify(signature, signing_input)

    [method] = [m for m in did_document["verificationMethod"] if m["id"] == header["kid"]]
    assert method["controller"] == DID and method["publicKeyJwk"]["x"] == jwk["x"]
    assert header["kid"] in did_document["assertionMethod"]


def test_the_credential_is_an_open_badge_with_the_snapshot(app, issued):
    holder, certificate = issued
    _header, credential, _, _ = parts(certificate.credential_jws)

    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert any("purl.imsglobal.org/spec/ob/v3p0" in c for c in credential["@context"])
    assert set(credential["type"]) == {"VerifiableCredential", "OpenBadgeCredential"}
    assert credential["id"] == f"{BASE_URL}/verify/{certificate.code}"
    assert credential["issuer"]["name"] == "Bộ Ngoại giao"
    assert credential["validFrom"] == "2025-03-03T08:00:00Z"
    assert credential["validUntil"] == "2027-03-03T08:00:00Z"
    subject = credential["credentialSubject"]
    names = [i["identityHash"] for i in subject["identifier"] if i["identityType"] == "name"]
    assert names == [NAMES[0]]
    achievement = subject["achievement"]
    assert achievement["name"] == TITLE and achievement["achievementType"] == "Certificate"
    assert achievement["version"] == "1.0.0" and achievement["inLanguage"] == "vi"
    assert subject["activityEndDate"] == "2025-03-03T08:00:00Z"
    assert subject["result"][0]["value"] == "87.5"
    assert credential["hocso"]["serial"] == certificate.serial
    assert "email" not in json.dumps(credential) and holder.email not in json.dumps(credential)


def test_a_course_without_validity_gives_no_valid_until(app, db, tmp_path):
    steps.course(tmp_path)
    certificate = steps.complete(steps.official())
    assert certificate.expires_at is None
    assert "validUntil" not in parts(certificate.credential_jws)[1]


def test_the_credential_download_is_the_same_credential(app, issued):
    holder, certificate = issued
    response = new_client(app, holder).get(f"/certificates/{certificate.id}/credential.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = json.loads(response.data)
    assert body["type"] == "EnvelopedVerifiableCredential"
    assert body["id"] == "data:application/vc+jwt," + certificate.credential_jws
    assert body["credential"] == parts(certificate.credential_jws)[1]


# --- tampering -------------------------------------------------------------------------------

def check(data: bytes) -> certificates.PdfCheck:
    return certificates.check_pdf(data, certificates.known_keys(), now=clock.now(),
                                  lookup=certificates.find_by_code)


def test_a_genuine_pdf_checks_valid(app, issued):
    holder, certificate = issued
    result = check(steps.fetch_pdf(new_client(app, holder), certificate.id))
    assert (result.state, result.status, result.differences) == ("valid", "valid", [])
    assert result.claims["holder_name"] == NAMES[0] and result.claims["serial"] == \
        certificate.serial


def test_one_character_changed_in_the_payload_is_tampering(app, issued):
    _holder, certificate = issued
    head, body, signature = certificate.credential_jws.split(".")
    # a name with one letter changed, the header and signature kept
    payload = json.loads(b64decode(body))
    payload["credentialSubject"]["identifier"][0]["identityHash"] = "Nguyễn Thị Hướng"
    forged = f"{head}.{b64encode(json.dumps(payload, ensure_ascii=False).encode())}.{signature}"
    result = check(steps.pdf_with(certificate, forged, holder_name="Nguyễn Thị Hướng"))
    assert result.state == "tampered" and not result.ok

    # one character of the encoded payload itself
    position = len(body) // 2
    flipped = body[:position] + ("A" if body[position] != "A" else "B") + body[position + 1:]
    result = check(steps.pdf_with(certificate, f"{head}.{flipped}.{signature}"))
    assert result.state == "tampered" and not result.ok


def test_a_credential_signed_with_another_key_is_unknown(app, issued):
    _holder, certificate = issued
    header, payload, _, _ = parts(certificate.credential_jws)
    stranger = Ed25519PrivateKey.generate()
    stranger_kid = keys.SigningKey(stranger).kid
    resigned = signed_by(stranger, {**header, "kid": f"{DID}#{stranger_kid}"}, payload)
    result = check(steps.pdf_with(certificate, resigned))
    assert result.state == "unknown-key" and not result.ok

    # the same, claiming to be signed with the platform's key
    result = check(steps.pdf_with(certificate, signed_by(stranger, header, payload)))
    assert result.state == "tampered" and not result.ok


def test_editing_the_visible_text_is_reported_with_what_differs(app, issued):
    _holder, certificate = issued
    data = steps.pdf_with(certificate, certificate.credential_jws, holder_name="Lê Thị Hoa",
                    score_text="100%")
    assert "Lê Thị Hoa" in steps.pdf_text(data)
    result = check(data)
    assert result.state == "tampered" and not result.ok
    assert any("holder name" in d and NAMES[0] in d for d in result.differences), \
        result.differences
    assert any(d.startswith("score") and "87.5" in d for d in result.differences)
    assert not any(d.startswith("course") for d in result.differences)

    data = steps.pdf_with(certificate, certificate.credential_jws, course_title="Lái xe an toàn")
    result = check(data)
    assert result.state == "tampered"
    assert [d for d in result.differences if d.startswith("course")], result.differences


def test_the_verify_command_tells_genuine_from_tampered(app, runner, issued, tmp_path):
    holder, certificate = issued
    genuine = tmp_path / "genuine.pdf"
    genuine.write_bytes(steps.fetch_pdf(new_client(app, holder), certificate.id))
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(steps.pdf_with(certificate, certificate.credential_jws,
                                holder_name="Lê Thị Hoa"))
    header, payload, _, _ = parts(certificate.credential_jws)
    stranger = Ed25519PrivateKey.generate()
    foreign = tmp_path / "foreign.pdf"
    foreign.write_bytes(steps.pdf_with(certificate, signed_by(
        stranger, {**header, "kid": f"{DID}#{keys.SigningKey(stranger).kid}"}, payload)))
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_bytes(b"not a pdf at all")

    result = steps.cli(runner, "verify", genuine)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"valid: {certificate.serial} — {NAMES[0]}, {TITLE}")
    assert "status: valid until 2027-03-03" in result.output

    result = steps.cli(runner, "verify", edited)
    assert result.exit_code != 0
    assert result.output.startswith("tampered:") and NAMES[0] in result.output

    result = steps.cli(runner, "verify", foreign)
    assert result.exit_code != 0 and result.output.startswith("unknown key")

    result = steps.cli(runner, "verify", not_pdf)
    assert result.exit_code != 0 and result.output.startswith("not a certificate")


def test_the_verify_command_reports_revoked_and_expired_when_online(app, runner, db, tmp_path):
    steps.course(tmp_path, validity=24)
    hr = steps.hr_official()
    revoked_holder = steps.official(NAMES[1])
    revoked = steps.complete(revoked_holder, now=clock.now())
    expired_holder = steps.official(NAMES[2])
    expired = steps.complete(expired_holder, now=steps.add_months(clock.now(), -25))

    revoked_pdf, expired_pdf = tmp_path / "revoked.pdf", tmp_path / "expired.pdf"
    revoked_pdf.write_bytes(steps.fetch_pdf(new_client(app, revoked_holder), revoked.id))
    expired_pdf.write_bytes(steps.fetch_pdf(new_client(app, expired_holder), expired.id))
    when = clock.now()
    certificates.revoke(hr, steps.reload(revoked), "Cấp nhầm người", now=when)
    db.session.commit()

    result = steps.cli(runner, "verify", revoked_pdf)
    assert result.exit_code != 0
    assert f"revoked on {steps.local_date(when)}: Cấp nhầm người" in result.output

    result = steps.cli(runner, "verify", expired_pdf)
    assert result.exit_code != 0
    assert f"expired on {steps.local_date(steps.reload(expired).expires_at)}" in result.output

    # offline, only the file and its signature are checked
    for path in (revoked_pdf, expired_pdf):
        result = steps.cli(runner, "verify", "--offline", path)
        assert result.exit_code == 0 and result.output.startswith("valid:"), result.output


def test_credentials_signed_before_a_key_change_stay_valid(app, db, tmp_path):
    """After a new signing key (rotation), the old public key stays published and old
    certificates still verify; new ones are signed with the new key."""
    steps.course(tmp_path)
    old = steps.complete(steps.official(NAMES[0]))
    old_pdf = steps.pdf_with(old, old.credential_jws)
    previous = certificates.signing_key()
    app.extensions["hocso_signing_key"] = keys.SigningKey(Ed25519PrivateKey.generate())
    try:
        new = steps.complete(steps.official(NAMES[1]))
        assert parts(new.credential_jws)[0]["kid"].endswith(
            app.extensions["hocso_signing_key"].kid)
        published = {k["kid"] for k in app.test_client().get(
            "/.well-known/jwks.json").get_json()["keys"]}
        assert {previous.kid, app.extensions["hocso_signing_key"].kid} <= published
        assert check(old_pdf).state == "valid"
        assert check(steps.pdf_with(new, new.credential_jws)).state == "valid"
    finally:
        app.extensions["hocso_signing_key"] = previous
