"""What a forger does to a certificate PDF, done for real: incremental updates with pypdf
(an opaque box laid over the name, an added page, edited metadata), bytes edited in place, a
full rewrite, a PDF signed with another key; and hostile files built byte by byte (a 5,000-page
file sharing one stream, Flate bombs, deep nesting, flipped bytes)."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import zlib
from datetime import datetime, timezone

from cryptography.hazmat.primitives.asymmetric import rsa
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from certificates import signing

MiB = 1024 * 1024


# --- forgeries of a genuine file -------------------------------------------------------------

def _incremental(data: bytes, change) -> bytes:
    writer = PdfWriter(io.BytesIO(data), incremental=True)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def overlay_name(data: bytes, new_name: str) -> bytes:
    """Lay an opaque box with another name over the page, as an incremental update."""
    html = ("<style>@page{size:A4 landscape;margin:0}div{position:absolute;top:78mm;"
            "left:40mm;width:217mm;height:16mm;background:#fff;font:bold 28pt sans-serif;"
            f"text-align:center}}</style><div>{new_name}</div>")
    box = PdfReader(io.BytesIO(HTML(string=html).write_pdf())).pages[0]
    return _incremental(data, lambda writer: writer.pages[0].merge_page(box))


def add_page(data: bytes) -> bytes:
    """Append a blank page, as an incremental update."""
    return _incremental(data, lambda writer: writer.add_blank_page())


def edit_metadata(data: bytes) -> bytes:
    """Change the document title, as an incremental update."""
    return _incremental(data, lambda writer: writer.add_metadata({"/Title": "Forged"}))


def edit_in_place(data: bytes, old: bytes, new: bytes) -> bytes:
    """Replace bytes in the file without changing its length (the signature's byte ranges
    still fit)."""
    assert len(old) == len(new) and old in data, old
    return data.replace(old, new, 1)


def rewrite(data: bytes) -> bytes:
    """Save the whole file again, as an editor's "Save as" does (no incremental update)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stranger_signer(tmp_path, name: str = "HọcSố — Bộ Ngoại giao") -> signing.Signer:
    """A key and self-issued certificate with the platform's very name, but not its key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = signing.self_issued_certificate(
        key, common_name=name, organisation="Bộ Ngoại giao", now=datetime.now(timezone.utc))
    return signing.Signer(key, (certificate,))


def signed_by(data: bytes, signer: signing.Signer) -> bytes:
    """Sign an (unsigned) PDF with `signer`, as the platform would."""
    return signing.sign_pdf(data, signer, reason="Certificate", location="Hà Nội",
                            name="Bộ Ngoại giao")


def flip_bytes(data: bytes, count: int, seed: int) -> bytes:
    """Flip `count` random bytes (seeded, so a failure can be replayed)."""
    chance = random.Random(seed)
    out = bytearray(data)
    for _ in range(count):
        out[chance.randrange(len(out))] ^= 0xFF
    return bytes(out)


# --- hostile files ---------------------------------------------------------------------------

def _pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF with a classic cross-reference table for the given object bodies (1-based)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, root, xref))
    return out.getvalue()


def many_pages(count: int = 5000) -> bytes:
    """`count` pages that all draw one shared content stream (~160 bytes a page)."""
    content = b"BT /F1 12 Tf 72 72 Td (x) Tj ET"
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(count))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<</Type/Pages/Count %d/MediaBox[0 0 595 842]/Kids[%s]>>" % (count, kids),
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)]
    objects += [b"<</Type/Page/Parent 2 0 R/Contents 3 0 R>>" for _ in range(count)]
    return _pdf(objects)


def flate_bomb_page(megabytes: int = 200) -> bytes:
    """One page whose content stream inflates to `megabytes` MB."""
    bomb = zlib.compress(b"\0" * (megabytes * MiB), 9)
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Count 1 /Kids [4 0 R] >>",
                 b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb
                 + b"\nendstream",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"])


def flate_bomb_xref(megabytes: int = 200) -> bytes:
    """A file whose cross-reference stream inflates to `megabytes` MB."""
    bomb = zlib.compress(b"\0" * (megabytes * MiB), 9)
    head = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    head += b"2 0 obj\n<< /Type /Pages /Count 0 /Kids [] >>\nendobj\n"
    xref = len(head)
    head += (b"3 0 obj\n<< /Type /XRef /Size 4 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
             b"/Length %d >>\nstream\n" % len(bomb)) + bomb + b"\nendstream\nendobj\n"
    return head + b"startxref\n%d\n%%%%EOF\n" % xref


def deep_nesting(depth: int = 200_000) -> bytes:
    """A catalog nested `depth` arrays deep."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * depth + b"]" * depth + b" >>",
                 b"<< /Type /Pages /Count 0 /Kids [] >>"])


def looping_pages() -> bytes:
    """A page tree whose node lists itself as its own kid."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Count 1 /Kids [2 0 R] >>"])


# --- an ordinary PDF reader --------------------------------------------------------------------

def pdfsig(data: bytes, tmp_path) -> str:
    """What poppler's `pdfsig` (the PDF reader's signature panel on Linux) reports."""
    path = shutil.which("pdfsig")
    assert path, "pdfsig is missing: install poppler-utils (debian-packages.txt)"
    target = tmp_path / "checked.pdf"
    target.write_bytes(data)
    return subprocess.run([path, str(target)], capture_output=True, text=True,
                          check=False).stdout
