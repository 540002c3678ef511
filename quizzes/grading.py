"""Grading: a pure function of a question and a response. No database, no Flask.

Partial credit and matching rules (shown to authors in quizzes/README.md):
- single choice: the chosen option's weight (negative weights count as 0).
- multiple choice: the sum of the weights of the chosen options, clamped to 0..100 %, so a
  wrong option with a negative weight cancels a right one, and ticking everything earns
  nothing when wrong options carry negative weights (Moodle's rule).
- true/false: all or nothing.
- short answer: case ignored (unless the question is case sensitive) and spaces trimmed and
  collapsed; Vietnamese diacritics: an answer typed entirely without diacritics ("chu ky so")
  matches the accepted answer's letters ("chữ ký số"), while an answer typed with diacritics
  must carry the right ones ("chũ ký số" is wrong); with ``diacritics = "strict"`` the marks are
  always required. ``*`` in an accepted answer matches any text. The best matching answer counts.
- numeric: value ± tolerance or low..high; a comma is accepted as the decimal separator.
- matching: the share of prompts matched to their answer.
- ordering: the share of items in their right position.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from learning.text import fold
from quizzes.questions import Question

CORRECT, PARTIAL, INCORRECT, UNANSWERED, UNGRADED = (
    "correct", "partial", "incorrect", "unanswered", "ungraded")


@dataclass
class Grade:
    """The outcome of grading one response."""

    fraction: float | None  # 0..1, None when not auto-graded
    state: str
    feedback: list[str] = field(default_factory=list)
    right: list[bool | None] = field(default_factory=list)  # per part, for the review

    def points(self, question: Question) -> float:
        """Return the points earned (0 when ungraded)."""
        return round((self.fraction or 0.0) * question.points, 4)


def _state(fraction: float) -> str:
    if fraction >= 0.9999:
        return CORRECT
    if fraction > 0:
        return PARTIAL
    return INCORRECT


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def has_diacritics(text: str) -> bool:
    """Tell whether `text` carries any accent mark (or đ)."""
    return fold(text) != " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _pattern(answer: str, flags: int) -> re.Pattern:
    parts = [re.escape(part) for part in answer.split("*")]
    return re.compile(r"\A" + ".*".join(parts) + r"\Z", flags | re.S)


def short_answer_matches(question: Question, accepted: str, response: str) -> bool:
    """Apply the short-answer matching rule stated in this module's docstring."""
    response = _clean(response)
    accepted = _clean(accepted)
    if not response:
        return False
    flags = 0 if question.case_sensitive else re.I
    if _pattern(accepted, flags).match(response):
        return True
    if question.diacritics == "lenient" and not has_diacritics(response):
        if question.case_sensitive:
            stripped = "".join(c for c in unicodedata.normalize("NFD", accepted.replace(
                "đ", "d").replace("Đ", "D")) if not unicodedata.combining(c))
            return bool(_pattern(stripped, 0).match(response))
        return bool(_pattern(fold(accepted), 0).match(fold(response)))
    return False


def parse_number(text: str | float | int | None) -> float | None:
    """Read a typed number: '3.14', '3,14', '-1 822', '1.234,5' and '1,234.5' all work."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    raw = text.strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if not raw:
        return None
    if "," in raw and "." in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        raw = raw.replace(thousands, "").replace(decimal, ".")
    elif raw.count(",") == 1:
        raw = raw.replace(",", ".")
    try:
        number = float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def grade(question: Question, response: Any) -> Grade:
    """Grade `response` to `question` (see the module docstring for each type's shape)."""
    kind = question.type
    if kind == "description":
        return Grade(None, UNGRADED)
    if kind == "essay":
        return Grade(None, UNGRADED if _clean(response or "") else UNANSWERED)
    if response is None or response == "" or response == [] or response == {}:
        return Grade(0.0, UNANSWERED)
    if kind == "single":
        index = _index(response, len(question.choices))
        if index is None:
            return Grade(0.0, UNANSWERED)
        choice = question.choices[index]
        fraction = max(0.0, min(1.0, choice.weight / 100))
        return Grade(fraction, _state(fraction), [choice.feedback] if choice.feedback else [],
                     [c.weight > 0 if i == index else None
                      for i, c in enumerate(question.choices)])
    if kind == "multiple":
        chosen = sorted({i for i in (_index(r, len(question.choices)) for r in response)
                         if i is not None})
        if not chosen:
            return Grade(0.0, UNANSWERED)
        total = sum(question.choices[i].weight for i in chosen) / 100
        fraction = max(0.0, min(1.0, total))
        return Grade(fraction, _state(fraction),
                     [question.choices[i].feedback for i in chosen if question.choices[i].feedback],
                     [(c.weight > 0) if i in chosen else None
                      for i, c in enumerate(question.choices)])
    if kind == "truefalse":
        value = _boolean(response)
        if value is None:
            return Grade(0.0, UNANSWERED)
        fraction = 1.0 if value == question.answer else 0.0
        feedback = question.feedback_true if value else question.feedback_false
        return Grade(fraction, _state(fraction), [feedback] if feedback else [], [bool(fraction)])
    if kind == "short":
        best = None
        for answer in question.short_answers:
            if short_answer_matches(question, answer.text, str(response)):
                if best is None or answer.weight > best.weight:
                    best = answer
        if best is None:
            return Grade(0.0, INCORRECT)
        fraction = max(0.0, min(1.0, best.weight / 100))
        return Grade(fraction, _state(fraction), [best.feedback] if best.feedback else [])
    if kind == "numeric":
        number = parse_number(response)
        if number is None:
            return Grade(0.0, INCORRECT)
        matches = [a for a in question.numeric_answers if a.accepts(number)]
        if not matches:
            return Grade(0.0, INCORRECT)
        best = max(matches, key=lambda a: a.weight)
        fraction = max(0.0, min(1.0, best.weight / 100))
        return Grade(fraction, _state(fraction), [best.feedback] if best.feedback else [])
    if kind == "matching":
        prompts = [pair for pair in question.pairs if pair.left]
        if not prompts:
            return Grade(None, UNGRADED)
        given = response if isinstance(response, dict) else {}
        right = [_clean(str(given.get(str(i), given.get(i, "")))) == _clean(pair.right)
                 for i, pair in enumerate(prompts)]
        if not any(_clean(str(v)) for v in given.values()):
            return Grade(0.0, UNANSWERED)
        fraction = sum(right) / len(prompts)
        return Grade(fraction, _state(fraction), [], right)
    if kind == "ordering":
        items = question.order
        given = [_index(r, len(items)) for r in response]
        if len(items) == 0:
            return Grade(None, UNGRADED)
        right = [i < len(given) and given[i] == i for i in range(len(items))]
        fraction = sum(right) / len(items)
        return Grade(fraction, _state(fraction), [], right)
    raise ValueError(f"unknown question type {kind!r}")


def _index(value: Any, size: int) -> int | None:
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < size else None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "t", "1", "yes", "đúng", "dung"):
        return True
    if text in ("false", "f", "0", "no", "sai"):
        return False
    return None
