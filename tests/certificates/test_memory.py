"""Rendering memory stays flat: a worker renders certificate after certificate with the one
FontConfiguration of certificates.render, and its resident memory must not grow with the count
(WeasyPrint's default API, a new font configuration per render, grows ~0.2 MB a render).

A requirement, so it runs in the normal suite; it measures memory (VmRSS), never time.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from certificates import render
from certificates import services as certificates
from tests.certificates import steps
from tests.certificates.steps import NAMES

RENDERS = 500
WARM_UP = 100
MAX_GROWTH_MB = 40


def rss_mb() -> float:
    """This process's resident memory, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.memory
def test_rendering_500_certificates_keeps_memory_flat(app, db, tmp_path):
    steps.course(tmp_path)
    certificate = steps.complete(steps.official())
    with app.test_request_context():
        context = certificates.pdf_context(certificate)
    source = render.default_template()
    shared = render.font_config()

    measured = {}
    for number in range(1, RENDERS + 1):
        # a different name and serial each time, as a batch of certificates has
        context.update(holder_name=f"{NAMES[number % 3]} {number}",
                       serial=f"HS-2025-{number:06d}")
        data = render.render_pdf(context, source, certificate.credential_jws)
        if number in (WARM_UP, RENDERS):
            assert f"HS-2025-{number:06d}" in steps.pdf_text(data)
            gc.collect()
            measured[number] = rss_mb()
    assert render.font_config() is shared
    growth = measured[RENDERS] - measured[WARM_UP]
    assert growth < MAX_GROWTH_MB, (
        f"RSS grew {growth:.1f} MB from render {WARM_UP} to render {RENDERS} "
        f"({measured[WARM_UP]:.0f} -> {measured[RENDERS]:.0f} MB)")
