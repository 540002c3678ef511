"""The certificates feature's public operations, gathered for callers (views, the command line,
the composition root). Each concern lives in its own module: `issue` (issue once, access),
`pdf` (render, sign, cache), `revocation`, `verify`, `export`, `renewal`; key material stays
in `signing`, published keys in `keys`.
"""

from __future__ import annotations

from certificates.export import export_zip
from certificates.issue import (
    STATUSES,
    can_manage,
    can_view,
    current_certificate,
    ensure_current_credential,
    export_in_scope,
    final_score,
    get_certificate,
    in_scope_statement,
    issue_for_enrolment,
    issue_pending,
    list_for_holder,
    list_in_scope,
    new_code,
    on_course_completed,
    snapshot_of,
    status_condition,
)
from certificates.models import certificate_status
from certificates.keys import issuer_did, jwks, known_keys, publish_key, signer
from certificates.pdf import pdf_bytes, pdf_context, sign_document, template_source, zone
from certificates.render import needs_korean, write_pdf
from certificates.renewal import can_retake, for_course_page, remind_expiring, retake
from certificates.revocation import CATEGORIES, CATEGORY_LABELS, reissue, revoke
from certificates.verify import (
    EXIT_CODES,
    Verdict,
    check_pdf,
    code_for_lookup,
    find_by_code,
    find_by_serial,
    public_view,
)

__all__ = [
    "CATEGORIES", "CATEGORY_LABELS", "EXIT_CODES", "STATUSES", "Verdict", "can_manage",
    "can_retake", "can_view", "check_pdf", "code_for_lookup", "current_certificate",
    "ensure_current_credential", "export_in_scope", "export_zip", "certificate_status",
    "final_score", "find_by_code", "find_by_serial", "for_course_page", "get_certificate",
    "in_scope_statement", "issue_for_enrolment", "issue_pending", "issuer_did", "jwks", "known_keys",
    "list_for_holder", "list_in_scope", "new_code", "on_course_completed", "pdf_bytes",
    "needs_korean", "pdf_context", "public_view", "publish_key", "reissue", "remind_expiring",
    "retake",
    "revoke", "sign_document", "signer", "snapshot_of", "status_condition", "template_source",
    "write_pdf", "zone",
]
