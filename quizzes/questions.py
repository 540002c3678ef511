"""Question definitions as plain data: what the GIFT and package readers produce, what the
grader reads and what is stored (as JSON) in the question bank. No database, no Flask.

Types and their answer data:
- ``single``: one choice is right (``choices``: weight 100 for the right one(s)).
- ``multiple``: several may be right; each choice carries a weight in percent (-100..100).
- ``truefalse``: ``answer`` True/False; ``feedback_true`` is shown to whoever answers True.
- ``short``: typed text matched against ``short_answers`` (each with a weight).
- ``numeric``: a number matched against ``numeric_answers`` (value ± tolerance, or low..high).
- ``matching``: ``pairs`` of left (prompt) and right (answer); a pair with an empty left is a
  distractor answer.
- ``ordering``: ``order`` lists the items in the right order.
- ``essay``: free text, stored, not auto-graded.
- ``description``: text only, no answer, no points.
A missing-word question ("Grant is {...} in Grant's tomb") is a question of any answering type
(as in Moodle's GIFT) whose ``text`` holds the blank as BLANK and ``embedded`` is True.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TYPES = ("single", "multiple", "truefalse", "short", "numeric", "matching", "ordering",
         "essay", "description")
AUTO_GRADED = ("single", "multiple", "truefalse", "short", "numeric", "matching", "ordering")
BLANK = "_____"
TEXT_FORMATS = ("markdown", "html", "plain", "moodle")


@dataclass
class Choice:
    """An option of a single or multiple choice question."""

    text: str
    weight: float = 0.0  # percent of the question's points, -100..100
    feedback: str = ""


@dataclass
class ShortAnswer:
    """An accepted answer of a short-answer question."""

    text: str
    weight: float = 100.0
    feedback: str = ""


@dataclass
class NumericAnswer:
    """An accepted number: `value` ± `tolerance`, or anything in `low`..`high`."""

    value: float | None = None
    tolerance: float = 0.0
    low: float | None = None
    high: float | None = None
    weight: float = 100.0
    feedback: str = ""

    def accepts(self, number: float) -> bool:
        """Tell whether `number` falls within this answer."""
        if self.low is not None and self.high is not None:
            return self.low <= number <= self.high
        if self.value is None:
            return False
        # A hair of slack so that 0.1 + 0.2 style float noise never fails a right answer.
        return abs(number - self.value) <= abs(self.tolerance) + 1e-9 * max(1.0, abs(self.value))


@dataclass
class MatchPair:
    """A prompt and its answer; an empty `left` makes `right` a distractor."""

    left: str
    right: str


@dataclass
class Question:
    """One question of a bank, in any type."""

    type: str
    text: str
    title: str = ""
    text_format: str = "markdown"
    general_feedback: str = ""
    points: float = 1.0
    choices: list[Choice] = field(default_factory=list)
    answer: bool | None = None
    feedback_true: str = ""
    feedback_false: str = ""
    short_answers: list[ShortAnswer] = field(default_factory=list)
    case_sensitive: bool = False
    diacritics: str = "lenient"  # "lenient": unaccented typing accepted; "strict": exact marks
    numeric_answers: list[NumericAnswer] = field(default_factory=list)
    pairs: list[MatchPair] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    embedded: bool = False
    category: str = ""
    ident: str | None = None  # the GIFT id / a stable key within a quiz file
    tags: list[str] = field(default_factory=list)
    line: int | None = None  # where the question starts in its source file

    @property
    def is_graded(self) -> bool:
        """Tell whether the question is scored automatically."""
        return self.type in AUTO_GRADED

    def to_dict(self) -> dict[str, Any]:
        """Return the question as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        """Rebuild a question from `to_dict` output."""
        data = dict(data)
        data["choices"] = [Choice(**c) for c in data.get("choices", [])]
        data["short_answers"] = [ShortAnswer(**a) for a in data.get("short_answers", [])]
        data["numeric_answers"] = [NumericAnswer(**a) for a in data.get("numeric_answers", [])]
        data["pairs"] = [MatchPair(**p) for p in data.get("pairs", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})
