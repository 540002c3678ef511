"""The signing identity: a key and self-issued certificate made once in the instance folder,
or the ministry's own key with the certificate chain issued for it (HOCSO_SIGNING_CERT_FILE);
mismatched or weak keys are refused with a clear message; a key of an earlier release is
retired, its public half kept."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from certificates import services as certificates
from certificates import signing
from learning import clock
from tests.certificates import forgery, steps
from tests.certificates.steps import NAMES
from tests.courses.steps import new_client

NOW = datetime.now(timezone.utc)


def pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def ministry_chain(leaf_key) -> list[x509.Certificate]:
    """A ministry CA (root) and the document-signing certificate it issued for `leaf_key`."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bộ Ngoại giao Root CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "HọcSố")]))
            .issuer_name(ca_name).public_key(leaf_key.public_key()).serial_number(2)
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return [leaf, ca]


def test_a_key_and_certificate_are_made_once_in_the_instance_folder(tmp_path):
    config = {"INSTANCE_DIR": str(tmp_path), "MINISTRY_NAME": "Bộ Ngoại giao"}
    first = signing.load_signer(config)
    again = signing.load_signer(config)
    assert first.kid == again.kid and first.algorithm == "RS256"
    assert first.private.key_size == 3072
    assert (tmp_path / "signing-key.pem").stat().st_mode & 0o777 == 0o600
    [certificate] = first.chain
    assert signing.same_key(certificate.public_key(), first.public)
    assert "Bộ Ngoại giao" in certificate.subject.rfc4514_string()
    assert signing.load_signer({**config, "INSTANCE_DIR": str(tmp_path / "other")}).kid \
        != first.kid


def test_the_ministry_key_and_chain_sign_and_verify(app, client, db, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    chain_file = tmp_path / "chain.pem"
    chain_file.write_text(signing.certificate_pem(ministry_chain(key)))
    ministry = signing.load_signer({"INSTANCE_DIR": str(tmp_path), "SIGNING_KEY_PEM":
                                    pem_key(key).decode(), "SIGNING_CERT_FILE":
                                    str(chain_file)})
    assert [c.subject.rfc4514_string() for c in ministry.chain] == [
        "CN=HọcSố", "CN=Bộ Ngoại giao Root CA"]
    previous = app.extensions.get("hocso_signer")
    app.extensions["hocso_signer"] = ministry
    try:
        steps.course(tmp_path)
        holder = steps.official(NAMES[0])
        certificate = steps.complete(holder, now=clock.now())
        data = steps.fetch_pdf(new_client(app, holder), certificate.id)
        verdict = certificates.check_pdf(data, max_bytes=app.config["VERIFY_MAX_BYTES"],
                                         now=clock.now(), lookup=certificates.find_by_code)
        assert verdict.outcome == "genuine", verdict.detail
        assert "Signer Certificate Common Name: HọcSố" in forgery.pdfsig(data, tmp_path)
        published = client.get("/verify/signing-certificate.pem").data
        assert [c.subject for c in signing.load_pem_certificates(published)] == [
            c.subject for c in ministry.chain]
    finally:
        app.extensions["hocso_signer"] = previous


def test_a_chain_for_another_key_is_refused(tmp_path):
    chain_file = tmp_path / "chain.pem"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    chain_file.write_text(signing.certificate_pem(ministry_chain(other)))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(signing.SigningSetupError, match="must be issued for the signing key"):
        signing.load_signer({"INSTANCE_DIR": str(tmp_path), "SIGNING_KEY_PEM":
                             pem_key(key).decode(), "SIGNING_CERT_FILE": str(chain_file)})


@pytest.mark.parametrize("problem", ["weak", "not-a-key", "missing-file", "bad-chain"])
def test_unusable_settings_are_refused_clearly(tmp_path, problem):
    config = {"INSTANCE_DIR": str(tmp_path)}
    if problem == "weak":
        config["SIGNING_KEY_PEM"] = pem_key(rsa.generate_private_key(
            public_exponent=65537, key_size=1024)).decode()
    elif problem == "not-a-key":
        config["SIGNING_KEY_PEM"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
    elif problem == "missing-file":
        config["SIGNING_KEY_FILE"] = str(tmp_path / "nowhere.pem")
    else:
        (tmp_path / "chain.pem").write_text("not a certificate")
        config["SIGNING_CERT_FILE"] = str(tmp_path / "chain.pem")
    with pytest.raises(signing.SigningSetupError):
        signing.load_signer(config)


def test_an_earlier_releases_ed25519_key_is_retired(tmp_path):
    old = Ed25519PrivateKey.generate()
    (tmp_path / "signing-key.pem").write_bytes(pem_key(old))
    signer = signing.load_signer({"INSTANCE_DIR": str(tmp_path)})
    assert signer.algorithm == "RS256"
    assert (tmp_path / "signing-key.ed25519-retired.pem").read_bytes() == pem_key(old)


def test_a_configured_ed25519_key_signs_eddsa_credentials(tmp_path):
    key = Ed25519PrivateKey.generate()
    signer = signing.load_signer({"INSTANCE_DIR": str(tmp_path),
                                  "SIGNING_KEY_PEM": pem_key(key).decode()})
    token = signing.sign_jws({"a": 1}, signer, kid="did:web:x#" + signer.kid)
    assert signing.read_jws(token)[0]["alg"] == "EdDSA"
    assert signing.verify_jws(token, key.public_key()) == {"a": 1}
