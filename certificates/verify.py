"""Verifying certificates: by code (public), by serial (HR within scope), and by the PDF file.

A PDF is called genuine only on proof: its PAdES signature is intact and covers the whole
file, the signer is one of the platform's keys (current or rotated), the embedded Open Badges
credential verifies, and, online, the certificate exists, is neither revoked nor expired and
the credential's facts equal the stored record. Hostile files are bounded before anything is
decoded: a size cap, a page-count check and pyHanko's decoding limits. Nothing unverified is
ever reported as a fact.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask_babel import lazy_gettext as _l
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from certificates import keys, signing
from certificates.credential import check_credential, facts_of
from certificates.issue import can_manage, credential_for
from certificates.models import Certificate
from certificates.pdf import zone
from learning.accounts.models import User
from learning.accounts.services import hr_scope
from learning.db import db
from learning.errors import PermissionDenied, RuleViolation

MAX_PAGES = 2  # the default certificate has one page; a course's own template may use two
MAX_CREDENTIAL_BYTES = 64 * 1024
MiB = 1024 * 1024
# A certificate decodes to a few MB at most (its fonts): far below pyHanko's defaults.
DECODE_LIMITS = DecodeLimits(
    per_stream=StreamDecodeLimits(max_ratio=200, ratio_floor=MiB, max_output_size=16 * MiB),
    document_budget=DocumentDecodeBudget(base_allowance=32 * MiB, max_ratio=50),
)

# Outcome -> exit status of `flask certificates verify` (README, "Verifying a PDF").
EXIT_CODES = {
    "genuine": 0,
    "not-a-certificate": 3,
    "altered": 4,
    "unknown-signer": 5,
    "bad-credential": 6,
    "unknown-record": 7,
    "record-differs": 8,
    "revoked": 9,
    "expired": 10,
}
# The facts the credential and the stored record must agree on.
COMPARED_FACTS = ("serial", "holder_name", "course_title", "course_version", "completed_at",
                  "score", "issued_at", "valid_until")


# --- look-ups --------------------------------------------------------------------------------

def find_by_code(code: str) -> Certificate | None:
    """Return the certificate with a verification code, if any."""
    code = (code or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9]{10,40}", code):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def find_by_serial(actor: User, serial: str) -> Certificate | None:
    """Return a certificate by serial, for HR within scope and admins (serials are guessable)."""
    if hr_scope(actor) is False:
        raise PermissionDenied(_l("Only HR and administrators may look up serial numbers."))
    found = db.session.scalar(select(Certificate).where(
        Certificate.serial == (serial or "").strip().upper()[:40]))
    return found if found is not None and can_manage(actor, found) else None


def code_for_lookup(actor, value: str) -> str:
    """Return the verification code of the certificate a typed code or serial number
    designates; a code no certificate has is an error on the field, as an unknown serial is.
    Serial numbers are guessable, so only HR (within scope) and admins may look them up;
    `actor` is the signed-in official or Flask-Login's anonymous user."""
    value = (value or "").strip()
    if not value.upper().startswith("HS-"):
        found = find_by_code(value)
        if found is None:
            raise RuleViolation(_l("No certificate has this code."), field="code")
        return found.code
    if not actor.is_authenticated or hr_scope(actor) is False:
        raise PermissionDenied(_l("Only HR and administrators may look up serial numbers; use "
                                  "the code printed under the QR code."), field="code")
    found = find_by_serial(actor, value)
    if found is None:
        raise RuleViolation(_l("No certificate has this serial number."), field="code")
    return found.code


def public_view(certificate: Certificate | None, *, now: datetime) -> dict:
    """Return what the verification page shows: only what the certificate itself shows, and
    for a revoked one the date and public category (never HR's reason)."""
    if certificate is None:
        return {"status": "unknown"}
    local = zone()
    view = {
        "status": certificate.status(now),
        "serial": certificate.serial,
        "holder": certificate.holder_name,
        "course": certificate.course_title,
        "course_version": certificate.course_version,
        "completed_on": certificate.completed_at.astimezone(local).date().isoformat(),
        "score": certificate.score,
        "issued_on": certificate.issued_at.astimezone(local).date().isoformat(),
        "expires_on": certificate.expires_at.astimezone(local).date().isoformat()
        if certificate.expires_at else None,
        "issuer": certificate.issuer_name,
    }
    if certificate.revoked_at is not None:
        view["revoked_on"] = certificate.revoked_at.astimezone(local).date().isoformat()
        view["revocation_category"] = certificate.revocation_category or "withdrawn"
    replacement = db.session.scalar(select(Certificate).where(
        Certificate.previous_id == certificate.id, Certificate.reason == "correction"))
    if replacement is not None:
        view["replaced_by"] = replacement.serial
    return view


# --- the PDF check ---------------------------------------------------------------------------

@dataclass
class Verdict:
    """The outcome of checking a certificate PDF, and the check that decided it."""

    outcome: str  # a key of EXIT_CODES
    detail: str = ""  # in English, for the command line and logs
    facts: dict = field(default_factory=dict)  # only once signature and credential hold
    online: bool = False
    record: dict | None = None  # the public view of the stored certificate (online)
    differences: list[str] = field(default_factory=list)  # facts that differ from the record

    @property
    def genuine(self) -> bool:
        return self.outcome == "genuine"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


class _Refused(Exception):
    def __init__(self, outcome: str, detail: str):
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


def _page_count(reader: PdfFileReader) -> int:
    """Count the leaves of the page tree, stopping past MAX_PAGES (shared or looping nodes
    count each time they are met, so a 5,000-page file sharing one page stops early)."""
    count, visited, todo = 0, 0, [(reader.root["/Pages"], 0)]
    while todo:
        node, depth = todo.pop()
        node = node.get_object() if isinstance(node, generic.IndirectObject) else node
        visited += 1
        if visited > 64 or depth > 16 or not isinstance(node, generic.DictionaryObject):
            raise _Refused("not-a-certificate", "the page tree is not a certificate's")
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            kids = node.get("/Kids")
            kids = kids.get_object() if isinstance(kids, generic.IndirectObject) else kids
            if not isinstance(kids, generic.ArrayObject) or len(kids) > MAX_PAGES + 1:
                raise _Refused("not-a-certificate",
                               "more pages than a certificate has")
            todo.extend((kid, depth + 1) for kid in kids)
        else:
            count += 1
        if count > MAX_PAGES:
            raise _Refused("not-a-certificate", "more pages than a certificate has")
    return count


def _embedded_file(reader: PdfFileReader, name: str) -> bytes | None:
    """Return the bytes of the embedded file called `name` (bounded), if any."""
    names = reader.root.get("/Names")
    tree = names.get("/EmbeddedFiles") if isinstance(names, generic.DictionaryObject) else None
    todo, seen = ([tree] if tree is not None else []), 0
    while todo:
        node = todo.pop()
        node = node.get_object() if isinstance(node, generic.IndirectObject) else node
        seen += 1
        if seen > 16 or not isinstance(node, generic.DictionaryObject):
            return None
        todo.extend(node.get("/Kids") or [])
        pairs = list(node.get("/Names") or [])
        for key, spec in zip(pairs[::2], pairs[1::2], strict=False):
            if str(key) != name:
                continue
            spec = spec.get_object() if isinstance(spec, generic.IndirectObject) else spec
            stream = spec["/EF"]["/F"].get_object()
            if int(stream.get("/Length", 0)) > MAX_CREDENTIAL_BYTES:
                return None
            data = stream.data
            return data if len(data) <= MAX_CREDENTIAL_BYTES else None
    return None


def _trust_roots(published: list) -> list[asn1_x509.Certificate]:
    roots = []
    for key in published:
        for certificate in signing.load_pem_certificates(key.chain_pem.encode()) \
                if key.chain_pem else []:
            roots.append(asn1_x509.Certificate.load(
                certificate.public_bytes(serialization.Encoding.DER)))
    return roots


def _is_platform_key(asn1_certificate, published: list) -> bool:
    public = x509.load_der_x509_certificate(asn1_certificate.dump()).public_key()
    for jwk in (key.public_jwk for key in published):
        try:
            if signing.same_key(public, signing.public_key_from_jwk(jwk)):
                return True
        except (ValueError, TypeError):
            continue
    return False


_HEX = re.compile(rb"<([0-9A-F]*)>")  # as the platform writes it: upper case, nothing else


def _der_length(value: bytes) -> int | None:
    """Return the length of the DER element (a SEQUENCE: the CMS) at the start of `value`."""
    if len(value) < 2 or value[0] != 0x30:
        return None
    if value[1] < 0x80:
        return 2 + value[1]
    size = value[1] & 0x7F
    if not 1 <= size <= 4 or len(value) < 2 + size:
        return None
    return 2 + size + int.from_bytes(value[2:2 + size], "big")


def _check_byte_range(data: bytes, signature) -> None:
    """Refuse a file that the signature does not cover whole, but for its own value.

    pyHanko reports ENTIRE_FILE when the two signed ranges and the signature value add up to
    the file's length; it does not check where the value lies. A forger can then move the
    second signed range further on, put objects of their own in the widened gap (a page, an
    embedded credential, a new signature dictionary whose value is written short as a literal
    string) and have a reader load them, while the signed bytes stay exactly as signed. So the
    ranges must be [0, a, b, end - b], and the gap between them exactly the signature value as
    one hex string: the CMS, then zeros only (its padding, else a place to hide bytes)."""
    try:
        start, first, second, length = (int(n) for n in signature.sig_object["/ByteRange"])
        contents = bytes(signature.sig_object["/Contents"])
    except (KeyError, TypeError, ValueError):
        raise _Refused("altered", "the signature does not say which bytes it covers") from None
    if start != 0 or not 0 < first < second or second + length != len(data):
        raise _Refused("altered", "the signature does not cover the whole file")
    gap = _HEX.fullmatch(data[first:second])
    if gap is None or len(gap.group(1)) % 2 or bytes.fromhex(gap.group(1).decode()) != contents:
        raise _Refused("altered", "something besides the signature lies between its ranges")
    used = _der_length(contents)
    if used is None or used > len(contents) or any(contents[used:]):
        raise _Refused("altered", "the signature value carries bytes besides the signature")


def _check_signature(data: bytes, reader: PdfFileReader, published: list) -> None:
    signatures = reader.embedded_signatures
    if not signatures:
        raise _Refused("altered", "the PDF carries no digital signature")
    if len(signatures) > 1:
        raise _Refused("altered", "the PDF was signed again after the platform signed it")
    _check_byte_range(data, signatures[0])
    context = ValidationContext(trust_roots=_trust_roots(published), allow_fetching=False)
    status = signing.run_coroutine(
        lambda: async_validate_pdf_signature(signatures[0], context))
    if not status.intact or not status.valid:
        raise _Refused("altered", "the signature does not match the file's content")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise _Refused("altered", "the file was changed after it was signed")
    if not _is_platform_key(status.signing_cert, published):
        raise _Refused("unknown-signer", "the PDF was signed by someone other than this "
                                         "platform")


def _compare(facts: dict, record: Certificate) -> list[str]:
    expected = facts_of(credential_for(record))  # what the record would sign today
    return [name for name in COMPARED_FACTS if facts.get(name) != expected.get(name)]


def check_pdf(data: bytes, *, max_bytes: int, now: datetime,
              lookup: Callable[[str], Certificate | None] | None = None) -> Verdict:
    """Check a certificate PDF offline, and online too when `lookup` is given. Never raises
    on bad input; every unreadable file is "not a certificate"."""
    published = keys.published()  # the platform's keys, current and rotated, with chains
    known = {k.kid: k.public_jwk for k in published}
    try:
        if len(data) > max_bytes:
            raise _Refused("not-a-certificate", "the file is far larger than a certificate")
        if b"%PDF-" not in data[:1024]:
            raise _Refused("not-a-certificate", "not a PDF file")
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False, decode_limits=DECODE_LIMITS)
            _page_count(reader)
        except _Refused:
            raise
        except Exception as error:  # noqa: BLE001 - any parser failure means "not ours"
            raise _Refused("not-a-certificate", f"not a readable PDF ({type(error).__name__})")
        try:
            _check_signature(data, reader, published)
        except _Refused:
            raise
        except Exception as error:  # noqa: BLE001 - a damaged signature is an altered file
            raise _Refused("altered", f"the signature cannot be read ({type(error).__name__})")
        try:
            token = _embedded_file(reader, "credential.jwt")
        except Exception:  # noqa: BLE001
            token = None
        if token is None:
            raise _Refused("bad-credential", "the embedded credential is missing")
        checked = check_credential(token.decode("ascii", "replace"), known)
        if not checked.ok:
            raise _Refused("bad-credential", f"the embedded credential does not verify "
                                             f"({checked.detail})")
    except _Refused as refused:
        return Verdict(refused.outcome, refused.detail, online=lookup is not None)
    verdict = Verdict("genuine", facts=checked.facts, online=lookup is not None)
    if lookup is None:
        return verdict
    record = lookup(verdict.facts.get("code") or "")
    if record is None:
        verdict.outcome, verdict.detail = "unknown-record", "this platform has no record of it"
        return verdict
    verdict.record = public_view(record, now=now)
    verdict.differences = _compare(verdict.facts, record)
    if verdict.differences:
        verdict.outcome = "record-differs"
        verdict.detail = "the credential differs from the record: " + ", ".join(
            verdict.differences)
    elif record.status(now) != "valid":
        verdict.outcome = record.status(now)
        verdict.detail = f"the certificate is {record.status(now)}"
    return verdict
