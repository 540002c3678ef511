"""GIFT conformance: every file of the vendored corpus imports without problems and agrees with the
parse tree that GIFT-grammar-PEG.js (the corpus's source) expects for it.

The corpus is vendored in `tests/quizzes/corpus/` (MIT, its LICENSE and README beside it), so the
suite reads nothing outside the repository; a missing corpus fails the run, it never skips. Each
`.gift`/`.txt` file is its own test case.

Their parse trees use that parser's field names, so `as_theirs` adapts our questions to them.
Normalisations, each for a stated reason (applied by `normalise`):
1. A missing weight is the weight GIFT gives: 100 % for an answer written with "=", 0 for "~".
   Their parser leaves it null; we store the number.
2. A single numeric answer written without "=" ({#1822}, {#1822:5}) is one answer worth 100 %;
   their parser gives a bare object instead of a list. {#1822} is 1822 with tolerance 0.
   "Any other number" (~#feedback) is their text "*", our range -ANY_NUMBER..ANY_NUMBER.
3. A part with its own [format] (a choice, a feedback, a prompt) that differs from the
   question's: a question here has one text format, so the importer accepts such a part only when
   its text reads the same in both formats (plain words, or HTML without line breaks inside a
   "moodle" question and the reverse); the test checks exactly that and compares the text.
4. Texts in the "moodle" and "plain" formats are compared with whitespace runs collapsed: their
   parser joins the lines of such a text with one space, we keep the author's line breaks, as
   Moodle does (its "moodle" format shows a line break as a break). HTML and Markdown texts are
   compared exactly (Markdown needs its line breaks and indentation).
5. Absent "id"/"tags" keys are null; null is our "" (title, feedback) or [] (tags).
6. Missing word: their parser puts one space on each side of the gap ("equals _____ ."); Moodle
   replaces {…} by the gap where it stands and keeps the author's spacing ("equals _____."), and
   so do we (tests/quizzes/test_gift.py and test_moodle_fixture.py check that). Stems with a gap
   are compared with the whitespace beside the gap removed.
Where that parser and Moodle disagree, Moodle wins: see MOODLE_WINS.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from quizzes.gift import ANY_NUMBER, GiftResult, parse_gift
from quizzes.questions import NumericAnswer, Question

CORPUS_FILES = 51  # the corpus README: "51 GIFT files"


def corpus_dir() -> Path:
    """Return the corpus folder vendored beside this file."""
    return Path(__file__).resolve().parent / "corpus"


def corpus_files() -> list[Path]:
    """Return the corpus's GIFT files (.gift and .txt), sorted; empty when the folder is missing."""
    folder = corpus_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".gift", ".txt") and p.is_file())


def read_corpus_file(path: Path) -> str:
    return path.read_text(encoding="utf-8")


MISSING = f"GIFT corpus not found at {corpus_dir()}"
FILES = corpus_files() or [pytest.param(None, id="corpus-missing")]

TYPES = {"single": "MC", "multiple": "MC", "truefalse": "TF", "short": "Short",
         "numeric": "Numerical", "matching": "Matching", "essay": "Essay",
         "description": "Description"}

# Moodle's importer (question/format/gift/format.php, split_truefalse_comment) reads
# {TRUE#a#b} as "a" for a wrong answer (here: whoever answers False) and "b" for a right one
# (whoever answers True). That parser always gives the first feedback to True. The two agree on
# {FALSE#a#b}; for TRUE, Moodle wins:
MOODLE_WINS = {
    # {TRUE#feedback for true}: the only feedback is the wrong-answer one, shown for False.
    ("TFTwoFeedback.gift", 1): {"trueFeedback": None,
                                "falseFeedback": {"format": "moodle",
                                                  "text": "feedback for true"}},
    # {TRUE# #feedback for false}: the second feedback is the right-answer one, shown for True.
    ("TFTwoFeedback.gift", 2): {"trueFeedback": {"format": "moodle",
                                                 "text": "feedback for false"},
                                "falseFeedback": None},
}


def _rich(text: str, fmt: str, *, keep_empty: bool = False) -> dict | None:
    return {"format": fmt, "text": text} if text or keep_empty else None


def _number(answer: NumericAnswer) -> dict:
    if answer.low is not None and answer.high is not None:
        if answer.low <= -ANY_NUMBER and answer.high >= ANY_NUMBER:
            return {"type": "any"}
        return {"type": "high-low", "numberLow": answer.low, "numberHigh": answer.high}
    return {"type": "range", "number": answer.value, "range": answer.tolerance}


def as_theirs(question: Question) -> dict:
    """Describe one of our questions in the corpus parser's field names."""
    fmt = question.text_format
    entry = {"type": TYPES[question.type], "title": question.title or None,
             "id": question.ident, "tags": question.tags or None,
             "stem": _rich(question.text, fmt, keep_empty=True),
             "hasEmbeddedAnswers": question.embedded}
    if question.type != "description":
        entry["globalFeedback"] = _rich(question.general_feedback, fmt)
    if question.type in ("single", "multiple"):
        entry["choices"] = [{"isCorrect": question.type == "single" and c.weight == 100,
                             "weight": c.weight, "text": _rich(c.text, fmt),
                             "feedback": _rich(c.feedback, fmt)} for c in question.choices]
    elif question.type == "truefalse":
        entry.update(isTrue=question.answer, trueFeedback=_rich(question.feedback_true, fmt),
                     falseFeedback=_rich(question.feedback_false, fmt))
    elif question.type == "short":
        entry["choices"] = [{"isCorrect": True, "weight": a.weight, "text": _rich(a.text, fmt),
                             "feedback": _rich(a.feedback, fmt)} for a in question.short_answers]
    elif question.type == "numeric":
        entry["choices"] = [{"isCorrect": _number(a) != {"type": "any"}, "weight": a.weight,
                             "text": _number(a), "feedback": _rich(a.feedback, fmt)}
                            for a in question.numeric_answers]
    elif question.type == "matching":
        entry["matchPairs"] = [{"subquestion": _rich(p.left, fmt, keep_empty=True),
                                "subanswer": p.right} for p in question.pairs]
    return entry


def as_theirs_all(result: GiftResult) -> list[dict]:
    """Describe a whole import as their list: category switches and questions in file order."""
    events = [(c.line, {"type": "Category", "title": c.path}) for c in result.categories]
    events += [(q.line, as_theirs(q)) for q in result.questions]
    return [entry for _, entry in sorted(events, key=lambda event: event[0])]


def reads_alike(text: str) -> bool:
    """Tell whether a text renders the same in every format (normalisation 3)."""
    return not re.search(r"[\n<>&*_`\\\[\]~]|^\s*(?:#|[-+>]\s|\d+[.)]\s)", text)


def _fold_part(part: dict | None, stem_format: str) -> dict | None:
    if part is None or "format" not in part:
        return part
    if part["format"] != stem_format:
        assert reads_alike(part["text"]) or (
            {part["format"], stem_format} == {"html", "moodle"} and "\n" not in part["text"]), (
            f"[{part['format']}] part inside a [{stem_format}] question does not read the same "
            f"in both: {part['text']!r}")
        part = {"format": stem_format, "text": part["text"]}
    return part


def _collapse(value):
    if isinstance(value, dict):
        if set(value) == {"format", "text"} and value["format"] in ("moodle", "plain"):
            return {"format": value["format"], "text": " ".join(value["text"].split())}
        return {key: _collapse(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_collapse(item) for item in value]
    return value


def without_gap_spacing(entry: dict) -> dict:
    """Drop the whitespace beside a missing-word gap in the stem (normalisation 6)."""
    if not entry.get("hasEmbeddedAnswers"):
        return entry
    stem = entry["stem"]
    return {**entry, "stem": {**stem, "text": re.sub(r"\s*_____\s*", "_____", stem["text"])}}


def normalise(entry: dict) -> dict:
    """Apply the normalisations of the module docstring to one of their entries."""
    entry = dict(entry)
    if entry["type"] == "Category":
        return entry
    entry.setdefault("id", None)
    entry.setdefault("tags", None)
    stem_format = entry["stem"]["format"]
    choices = entry.get("choices")
    if isinstance(choices, dict):  # normalisation 2
        choices = [{"isCorrect": True, "weight": None, "text": choices, "feedback": None}]
    if choices is not None:
        normal = []
        for choice in choices:
            choice = dict(choice)
            if choice["weight"] is None:  # normalisation 1
                choice["weight"] = 100 if choice["isCorrect"] else 0
            text = choice["text"]
            if entry["type"] == "Numerical":
                if text.get("type") == "simple":
                    text = {"type": "range", "number": text["number"], "range": 0}
                elif text.get("text") == "*":
                    text = {"type": "any"}
            choice["text"] = _fold_part(text, stem_format)
            choice["feedback"] = _fold_part(choice["feedback"], stem_format)
            normal.append(choice)
        entry["choices"] = normal
    if "globalFeedback" in entry:
        entry["globalFeedback"] = _fold_part(entry["globalFeedback"], stem_format)
    for key in ("trueFeedback", "falseFeedback"):
        if key in entry:
            entry[key] = _fold_part(entry[key], stem_format)
    if "matchPairs" in entry:
        entry["matchPairs"] = [{"subquestion": _fold_part(p["subquestion"], stem_format),
                                "subanswer": p["subanswer"]} for p in entry["matchPairs"]]
    return entry


def test_corpus_is_there_and_complete():
    assert corpus_dir().is_dir(), MISSING
    files = corpus_files()
    assert len(files) == CORPUS_FILES, f"expected {CORPUS_FILES} GIFT files in {corpus_dir()}"
    missing = [p.name for p in files if not p.with_suffix(".json").is_file()]
    assert not missing, f"no expected parse tree (.json) for {missing}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name if isinstance(p, Path) else p)
def test_corpus_file_imports_like_the_reference(path):
    assert path is not None, MISSING
    result = parse_gift(read_corpus_file(path), source=path.name)
    assert [str(p) for p in result.problems] == []

    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    for (name, index), moodle in MOODLE_WINS.items():
        if name == path.name:
            expected[index] = {**expected[index], **moodle}
    ours = as_theirs_all(result)
    assert [e["type"] for e in ours] == [e["type"] for e in expected]
    for index, (mine, theirs) in enumerate(zip(ours, expected, strict=True)):
        assert without_gap_spacing(_collapse(mine)) == \
            without_gap_spacing(_collapse(normalise(theirs))), f"entry {index} of {path.name}"


def test_moodle_wins_overrides_name_real_entries():
    """Guard the overrides: each names a true/false entry of a corpus file."""
    for (name, index), _ in MOODLE_WINS.items():
        path = corpus_dir() / name
        assert path.is_file(), MISSING
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert expected[index]["type"] == "TF"
        assert expected[index]["isTrue"] is True  # the case where the two parsers disagree
