"""Certificate PDFs: a Jinja template (sandboxed) to HTML, then WeasyPrint to PDF/A-3b.

WeasyPrint is imported when this module loads (a worker's start, not a request) and one
FontConfiguration is reused by every render of the process: the default API grows by about
0.2 MB per render, a shared configuration stays flat and renders faster. Templates get plain
values only, and WeasyPrint may fetch nothing but the platform's own static files.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from learning.config import PROJECT_ROOT

# 2: certificates are signed PDFs; 3: the national title and Decree 30 date on Vietnamese ones
RENDER_VERSION = "3"
STATIC_DIR = (PROJECT_ROOT / "learning" / "static").resolve()
DEFAULT_TEMPLATE = PROJECT_ROOT / "templates" / "certificates" / "pdf" / "default.html"
_font_config: FontConfiguration | None = None
_sandbox = SandboxedEnvironment(autoescape=True)


def font_config() -> FontConfiguration:
    """Return this process's one FontConfiguration."""
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


def default_template() -> str:
    """Return the default certificate template's source."""
    return DEFAULT_TEMPLATE.read_text(encoding="utf-8")


def template_version(source: str) -> str:
    """Return the cache key of a template: PDFs are re-rendered only when it changes."""
    return hashlib.sha256(f"{RENDER_VERSION}\0{source}".encode()).hexdigest()[:32]


class LocalURLFetcher(URLFetcher):
    """Let WeasyPrint read only data: URLs and regular files inside the platform's static
    folder. The path is decided as the operating system will open it: query and fragment
    dropped, %-escapes decoded, symbolic links and '..' resolved; then it must still lie
    under the static folder, and that resolved file is what is read."""

    def __init__(self):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise ValueError(f"certificate templates may not load {url!r}")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"certificate templates may not load {url!r}")
        path = Path(os.path.realpath(url2pathname(parts.path)))
        if not path.is_relative_to(STATIC_DIR) or not path.is_file():
            raise ValueError(f"certificate templates may not load {url!r}")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                  headers={"Content-Type": media_type})


def qr_image(payload: str) -> Markup:
    """Return an <img> of the QR code for `payload` (error correction M). A PNG: WeasyPrint
    draws it several times faster than the same code as SVG paths."""
    qr = segno.make(payload, error="m", micro=False)
    uri = qr.png_data_uri(scale=8, border=2, dark="#1b1f24", light="#ffffff")
    return Markup('<img class="qr-code" src="{}" alt="QR">').format(uri)


@lru_cache(maxsize=32)
def _compiled(source: str):
    return _sandbox.from_string(source)


HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def needs_korean(texts) -> bool:
    """Tell whether any of the texts is Korean (the Korean font is 6 MB: embed it only then)."""
    return any(HANGUL.search(text) for text in texts if isinstance(text, str))


def _needs_korean(context: dict) -> bool:
    """Tell whether any text of the certificate is Korean."""
    return needs_korean([*context.values(), *context.get("labels", {}).values()])


def render_html(context: dict, source: str) -> str:
    """Render the certificate template in the sandbox with plain values."""
    values = dict(context)
    values["needs_korean"] = _needs_korean(context)
    values["static"] = STATIC_DIR.as_uri()
    values["qr"] = qr_image(context["verify_url"])
    return _compiled(source).render(**values)


def write_pdf(html: str, attachments: list[Attachment] | None = None) -> bytes:
    """Return the PDF/A-3b of a platform document's HTML (a certificate, a transcript):
    WeasyPrint with the process's fonts, reading nothing but the platform's static files."""
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/",
                    url_fetcher=LocalURLFetcher())
    return document.write_pdf(font_config=font_config(), pdf_variant="pdf/a-3b",
                              attachments=attachments or [], custom_metadata=True)


def render_pdf(context: dict, source: str, credential_jws: str) -> bytes:
    """Return the PDF/A-3b certificate with its credential embedded as a file."""
    credential = Attachment(string=credential_jws, base_url=None, name="credential.jwt",
                            description="Open Badges 3.0 OpenBadgeCredential (VC-JWT, EdDSA)",
                            relationship="Source")
    return write_pdf(render_html(context, source), [credential])
