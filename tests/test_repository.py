"""The repository stands alone: one list of Debian packages that README, Makefile and CI all
read, and a test suite that reads nothing outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")  # Debian policy 5.6.1
INSTALL = "apt-get install --no-install-recommends $(grep -v '^#' debian-packages.txt)"


def debian_packages() -> list[str]:
    """The packages of debian-packages.txt, read as README's one-liner reads them."""
    text = (REPO / "debian-packages.txt").read_text(encoding="utf-8")
    return " ".join(line for line in text.splitlines() if not line.startswith("#")).split()


def test_one_list_of_debian_packages_holds_what_weasyprint_and_the_tests_need():
    packages = debian_packages()
    assert all(PACKAGE_NAME.match(name) for name in packages), packages
    assert len(packages) == len(set(packages))
    # WeasyPrint fails without the HarfBuzz subsetter; the browser and PDF tests need the rest.
    assert {"libharfbuzz-subset0", "libpango-1.0-0", "libpangoft2-1.0-0", "chromium",
            "poppler-utils", "python3-venv", "make"} <= set(packages)
    # PyICU has no wheel: pip builds it, with a C++ compiler, Python's and ICU's headers.
    assert {"g++", "python3-dev", "libicu-dev", "pkg-config"} <= set(packages)


def test_readme_makefile_and_ci_install_that_list_and_name_no_package_themselves():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert INSTALL in readme and "make system-packages" in readme
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "$$(grep -v '^#' debian-packages.txt)" in makefile
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "grep -v '^#' debian-packages.txt" in ci
    install_lines = [line for line in ci.splitlines() if "apt-get install" in line]
    assert install_lines and not any(name in line for line in install_lines
                                     for name in debian_packages())


def test_the_suite_reads_nothing_beside_the_repository():
    from tests.quizzes.test_gift_corpus import corpus_dir
    from tests.quizzes.test_gift_moodle import FIXTURE

    assert corpus_dir().is_relative_to(REPO) and FIXTURE.is_relative_to(REPO)
    for licence in (corpus_dir() / "LICENSE", FIXTURE.parent / "COPYING"):
        assert licence.is_file(), licence
    outside = re.compile(r"\.\./shared|[\"']shared[\"']\s*/|parent\s*/\s*[\"']shared")
    offenders = [str(path.relative_to(REPO)) for path in (REPO / "tests").rglob("*.py")
                 if outside.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
