"""What a forger does to a certificate PDF, done for real: incremental updates with pypdf
(an opaque box laid over the name, an added page, edited metadata), bytes edited in place, a
full rewrite, a PDF signed with another key; and hostile files built byte by byte (a 5,000-page
file sharing one stream, Flate bombs, deep nesting, flipped bytes)."""

from __future__ import annotations

import io
import random
import re
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


def _literal(data: bytes) -> bytes:
    """`data` as a PDF literal string: one byte each, where hex takes two."""
    escaped = data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped.replace(b"\r", b"\\r").replace(b"\n", b"\\n") + b")"


def _wrapped(data: bytes, new_objects: dict[int, bytes], room: int = 4000) -> bytes:
    """Signature wrapping: keep both signed ranges byte for byte, move the second one `room`
    bytes on, and fill the widened gap with a new signature dictionary (its ByteRange widened,
    its value the same CMS written as a literal string, padded to the length the gap counts)
    and a cross-reference section of our own where the file's last startxref now points, so
    a reader loads `new_objects` (number -> dictionary) in place of the signed ones. pyHanko
    counts lengths only and calls this ENTIRE_FILE."""
    ranges = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    _zero, first, second, length = map(int, ranges.groups())
    startxref = int(re.findall(rb"startxref\s+(\d+)\s+%%EOF", data)[-1])
    line = data.rfind(b"\n", 0, data.rfind(b" obj", 0, first)) + 1
    number = int(data[line:data.rfind(b" obj", 0, first)].split()[0])
    dictionary = data[line:first] + b"<>" + data[second:data.find(b"endobj", second)]
    gap = (second - first) + room
    value = bytes.fromhex(data[first + 1:second - 1].decode()).ljust((gap - 2) // 2, b"\0")
    dictionary = re.sub(rb"/ByteRange\s*\[[^\]]*\]",
                        b"/ByteRange [0 %d %d %d]" % (first, first + gap, length), dictionary)
    dictionary = dictionary.replace(b"<>", _literal(value), 1)
    middle = bytearray(b"\n")
    offsets = {number: first + len(middle)}
    middle += dictionary
    xref_at = startxref - first  # where the unchanged startxref now points, inside the gap
    assert len(middle) < xref_at
    middle += b"%" + b" " * (xref_at - len(middle) - 2) + b"\n"
    trailer = dict(re.findall(rb"/(Root|Info)\s+(\d+ \d+ R)", data[startxref:]))
    size = int(re.findall(rb"/Size\s+(\d+)", data)[-1]) + len(new_objects) + 1
    bodies = {n: b"%d 0 obj\n" % n + body + b"\nendobj\n" for n, body in new_objects.items()}
    numbers = sorted([number, *bodies])
    tail = b"trailer\n<< /Size %d /Root %s /Info %s /Prev %d >>\n" % (
        size, trailer[b"Root"], trailer[b"Info"], startxref + room)
    table_length = 29 + sum(len(b"%d 1\n" % n) + 20 for n in numbers) + len(tail)
    position = first + xref_at + table_length
    for n in sorted(bodies):
        offsets[n] = position
        position += len(bodies[n])
    table = b"xref\n0 1\n0000000000 65535 f \n" + b"".join(
        b"%d 1\n%010d 00000 n \n" % (n, offsets[n]) for n in numbers) + tail
    assert len(table) == table_length
    middle += table + b"".join(bodies[n] for n in sorted(bodies))
    assert len(middle) <= gap - 2
    middle += b"%" + b" " * (gap - len(middle) - 2) + b"\n"
    return data[:first] + bytes(middle) + data[second:]


def overlay_in_the_gap(data: bytes, text: str) -> bytes:
    """Draw `text` in a white box over the page, from objects slipped between the signed
    ranges (see _wrapped): the page now shows it, the signed bytes are untouched."""
    reader = PdfReader(io.BytesIO(data))
    page = reader.pages[0]
    page_number = page.indirect_reference.idnum
    drawn = (b"q 1 1 1 rg 200 345 440 36 re f 0 0 0 rg BT /Fx 26 Tf 270 355 Td (%s) Tj ET Q"
             % text.encode("latin-1"))
    first_new = len(reader.xref_objStm) + max(
        number for (_generation, numbers) in reader.xref.items() for number in numbers) + 10
    contents = page["/Contents"]
    contents = contents if isinstance(contents, list) else [contents]
    references = b" ".join(b"%d 0 R" % c.indirect_reference.idnum if hasattr(
        c, "indirect_reference") and c.indirect_reference else b"%d 0 R" % c.idnum
        for c in contents)
    annotations = b" ".join(b"%d 0 R" % a.idnum for a in page.get("/Annots") or [])
    new_page = (b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 841.889764 595.275591] "
                b"/Contents [%s %d 0 R] /Resources << /Font << /Fx << /Type /Font "
                b"/Subtype /Type1 /BaseFont /Helvetica-Bold >> >> >> /Annots [%s] >>" % (
                    page["/Parent"].indirect_reference.idnum, references, first_new,
                    annotations))
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawn), drawn)
    return _wrapped(data, {page_number: new_page, first_new: stream})


def nonzero_padding(data: bytes) -> bytes:
    """Write a byte into the zeros that pad the signature value (the CMS parser ignores them,
    and they are a place to hide a message)."""
    first, second = map(int, re.search(
        rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)", data).groups())
    assert data[second - 3:second] == b"00>"
    return data[:second - 3] + b"41>" + data[second:]


def lower_case_value(data: bytes) -> bytes:
    """Write the signature value's hex in lower case: the same bytes, another file."""
    first, second = map(int, re.search(
        rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)", data).groups())
    return data[:first] + data[first:second].lower() + data[second:]


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
