"""Text keys: folding for search ("Kỹ năng số" -> "ky nang so") and Vietnamese name sorting.

Must not import anything above the kernel.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import icu

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss"})


def fold(text: str | None) -> str:
    """Return `text` lower-cased, without diacritics, with single spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


@cache
def _vietnamese_collator() -> icu.Collator:
    # CLDR's Vietnamese rules: a ă â b c d đ e ê ... o ô ơ ... u ư ..., tones a secondary
    # difference (Bao < Bảo < Bạo only when the letters are equal). Const use is thread-safe.
    return icu.Collator.createInstance(icu.Locale("vi"))


def name_sort_key(full_name: str | None) -> bytes:
    """Return the sort key of a person's name the Vietnamese way (compare keys bytewise).

    Vietnamese names are sorted by the given name (the last word), then by the family and
    middle names: "Trần Văn An" comes before "Lê Thị Bình". Each part's ICU key ends with a
    zero byte that occurs nowhere else, so the concatenation compares part by part.
    """
    words = unicodedata.normalize("NFC", full_name or "").split()
    if not words:
        return b""
    collator = _vietnamese_collator()
    given, others = words[-1], " ".join(words[:-1])
    return bytes(collator.getSortKey(given)) + bytes(collator.getSortKey(others))


def text_sort_key(text: str | None) -> bytes:
    """Return the Vietnamese sort key of a text as written (a department's or a course's name):
    word order kept, unlike name_sort_key."""
    return _vietnamese_collator().getSortKey(text or "")
