"""`make bench`: speed and memory figures (medians and ratios), never asserted in tests.

First the pages (tests/bench_pages.py: the lesson page against a bare page of the same HTML
under gunicorn, on SQLite and on PostgreSQL when BENCH_POSTGRES_URL is set); BENCH_ONLY=pages
stops there. Then HR's reports at a national scale (tests/bench_reports.py: the department
rollup, the people lists and a progress write with and without the summaries, on SQLite and on
PostgreSQL when BENCH_POSTGRES_URL is set; BENCH_LEARNERS sets the size); BENCH_ONLY=reports
runs only those. Then, against a throwaway SQLite database in a temp folder (or DATABASE_URL):
- officials import: 10,000 CSV rows;
- certificate rendering: median ms per certificate (warm), and certificates per second for a
  batch of BENCH_BATCH (default 1,000) rendered by the export's worker processes;
- signing: median ms to add the PAdES signature, and to verify a signed PDF offline;
- rendering memory: RSS growth over BENCH_MEMORY renders with the shared FontConfiguration,
  against WeasyPrint's default API (a new font configuration per render).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

BATCH = int(os.environ.get("BENCH_BATCH", "1000"))
MEMORY_RUNS = int(os.environ.get("BENCH_MEMORY", "300"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    from tests import bench_pages, bench_reports

    only = os.environ.get("BENCH_ONLY")
    if only in (None, "", "pages"):
        bench_pages.main()
    if only == "pages":
        return 0
    if only in (None, "", "reports"):
        bench_reports.main()
    if only == "reports":
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="hocso-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    from flask_migrate import upgrade

    from learning.app import create_app

    app = create_app(HOCSO_ENV="test", DATABASE_URL=url, SECRET_KEY="bench",
                     MEDIA_DIR=str(tmp / "media"), INSTANCE_DIR=str(tmp))
    with app.app_context():
        upgrade()
        bench_import(app)
        bench_certificates(app, tmp)
    bench_memory()
    return 0


def bench_import(app) -> None:
    from learning.accounts import importer
    from learning.db import db

    header = "staff_number,full_name,email,department,job_title,roles\n"
    rows = "".join(
        f"B-{i:05d},Nguyễn Văn Thử {i},thu{i}@bench.gov.vn,"
        f"Bộ Ngoại giao/Cục {i % 20}/Phòng {i % 7},Chuyên viên,learner\n" for i in range(10_000))
    records = importer.read_csv_text(header + rows)
    started = time.perf_counter()
    report = importer.import_officials(None, records, now=datetime.now(timezone.utc),
                                       initial_password="bench-password-1")
    db.session.commit()
    first = time.perf_counter() - started
    started = time.perf_counter()
    importer.import_officials(None, records, now=datetime.now(timezone.utc))
    db.session.rollback()
    again = time.perf_counter() - started
    print(f"import: 10,000 officials created in {first:.2f} s ({report.created} created); "
          f"re-import (all unchanged) {again:.2f} s")


def _fake_certificate(index: int):
    from certificates.models import Certificate

    now = datetime.now(timezone.utc)
    return Certificate(
        id=index + 1, serial=f"HS-2026-{index + 1:06d}", code=f"benchcode{index:011d}",
        user_id=1, course_id=1, holder_name=["Nguyễn Thị Hương", "Đặng Quốc Bảo",
                                              "Trương Ngọc Ánh"][index % 3],
        staff_number=f"B-{index:05d}", department="Bộ Ngoại giao/Cục Cơ yếu - Công nghệ thông tin",
        course_slug="ky-nang-so", course_title="Kỹ năng số cho cán bộ", course_version="1.0.0",
        language="vi", completed_at=now, score=92.5, issued_at=now, expires_at=None,
        issuer_name="Bộ Ngoại giao", signer_name="Nguyễn Văn Hùng",
        signer_title="Cục trưởng Cục Cơ yếu - Công nghệ thông tin", credential_jws="x.y.z")


def bench_certificates(app, tmp: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from certificates import export, keys, render, services, signing
    from learning.db import db

    with app.test_request_context():
        source = render.default_template()
        jobs = [(services.pdf_context(_fake_certificate(i)), source, "x.y.z")
                for i in range(BATCH)]
    render.render_pdf(*jobs[0])  # warm: fonts loaded, caches filled
    times = []
    for job in jobs[:30]:
        started = time.perf_counter()
        render.render_pdf(*job)
        times.append((time.perf_counter() - started) * 1000)
    print(f"certificate: median {statistics.median(times):.1f} ms per PDF (warm, one process; "
          f"p90 {sorted(times)[int(len(times) * 0.9)]:.1f} ms)")
    # The PAdES signature added to each rendered PDF, and a full offline verification.
    unsigned = render.render_pdf(*jobs[0])
    signer = keys.signer()
    keys.publish_key(signer, now=datetime.now(timezone.utc))
    db.session.commit()
    signed, sign_times, check_times = b"", [], []
    for _ in range(30):
        started = time.perf_counter()
        signed = signing.sign_pdf(unsigned, signer, reason="bench", location="Hà Nội",
                                  name="Bộ Ngoại giao")
        sign_times.append((time.perf_counter() - started) * 1000)
    for _ in range(30):
        started = time.perf_counter()
        services.check_pdf(signed, max_bytes=app.config["VERIFY_MAX_BYTES"],
                           now=datetime.now(timezone.utc))
        check_times.append((time.perf_counter() - started) * 1000)
    print(f"signature: median {statistics.median(sign_times):.1f} ms to sign a PDF; "
          f"median {statistics.median(check_times):.1f} ms to verify one offline "
          f"(signature, signer, credential)")
    workers = os.cpu_count() or 2
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver")) as pool:
        size = sum(len(pdf) for pdf in pool.map(export._render_job, jobs, chunksize=8))
    elapsed = time.perf_counter() - started
    print(f"certificate batch: {BATCH} PDFs in {elapsed:.1f} s with {workers} processes = "
          f"{BATCH / elapsed:.1f} certificates/s ({size / BATCH / 1024:.0f} KiB each)")


def bench_memory() -> None:
    from weasyprint import HTML

    from certificates import render

    html = "<html lang='vi'><body><h1>Nguyễn Thị Hương</h1><p>Kỹ năng số cho cán bộ</p></body></html>"
    for label, kwargs in (("shared FontConfiguration", {"font_config": render.font_config()}),
                          ("default API", {})):
        HTML(string=html).write_pdf(**kwargs)
        gc.collect()
        before = rss_mb()
        for _ in range(MEMORY_RUNS):
            HTML(string=html).write_pdf(**kwargs)
        gc.collect()
        after = rss_mb()
        print(f"memory ({label}): RSS {before:.0f} -> {after:.0f} MB over {MEMORY_RUNS} renders "
              f"({(after - before) / MEMORY_RUNS * 1000:.0f} KB per render)")


if __name__ == "__main__":
    sys.exit(main())
