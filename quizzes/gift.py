"""GIFT, Moodle's plain-text question format: import into and export from `Question` values.

Owns the translation between GIFT text and `quizzes.questions.Question`. Pure: no database, no
Flask, no files. It follows Moodle's importer (question/format/gift/format.php) and its
documentation (https://docs.moodle.org/en/GIFT_format); where this module differs from Moodle,
the difference is named here.

Reading rules:
- A blank line ends a question, inside ``{...}`` too (as in Moodle). Lines whose first
  non-blank characters are ``//`` are comments; ``[id:...]`` and ``[tag:...]`` in the comments of
  a question give its ``ident`` and ``tags`` (Moodle 3.6+ convention; ``\\]`` is a literal ``]``).
- ``$CATEGORY: path`` sets the category (path text kept as written) of the questions after it.
- Escapes: ``\\~ \\= \\# \\{ \\} \\: \\\\`` and ``\\n`` (a line break). Any other backslash is kept.
- Texts keep the author's line breaks and indentation (Markdown needs them; Moodle keeps the
  breaks too); only leading and trailing whitespace is trimmed.
- Missing word: with text after the answer block, the block is replaced by BLANK where it
  stands and the spacing is kept as written (``equals {=four =4}.`` reads ``equals _____.``),
  whatever the question's type, as Moodle does (``$answertext``/"_____" in format.php); then
  ``embedded`` is True. Only leading and trailing whitespace of the whole text is trimmed.
- Types as Moodle decides them: ``{}`` essay, ``{#...}`` numeric, any ``~`` multiple choice
  (``single`` when some answer starts with ``=``, else ``multiple``), ``=`` with ``->`` matching,
  ``T``/``TRUE``/``F``/``FALSE`` true/false (any letter case here; Moodle wants capitals), anything
  else short answer. No answer block: description.
- True/false feedback is ``{TRUE#for a wrong answer#for a right answer}``, Moodle's order: in
  ``{FALSE#a#b}`` "a" is shown to whoever answers True, "b" to whoever answers False.
- Numeric: ``value``, ``value:tolerance``, ``low..high``, several ``=%w%`` answers, and
  ``~#feedback`` (or ``=%w%*``) for any other number, which is stored as the range
  ``-ANY_NUMBER..ANY_NUMBER`` so that the grader shows its feedback.
- Moodle's own checks apply: a choice question needs two choices; ``single``, ``short`` and
  ``numeric`` need an answer worth 100 %; the positive weights of ``multiple`` add up to 100 %;
  a matching question needs two prompts.
- A ``[format]`` on a single answer or feedback is accepted when it equals the question's or
  when the text reads the same in both formats (plain words, or HTML without line breaks in a
  "moodle" question and the reverse); otherwise it is reported, since a question here has one
  text format. Short answers are matched as typed text, so their ``[format]`` is dropped, as
  Moodle drops it. An unknown lower-case ``[word]`` at the start of a text (``[htm]``) is
  reported; other brackets (``[Note]``, ``[x]``) are text, as in Moodle.

A question with a problem is left out and the problem is reported with its line
(``GiftResult.problems``); the questions around it are still returned. Export reports in
``GiftExport.problems`` what GIFT cannot express (ordering questions, points, case-sensitive or
strict-diacritics matching, ...) and checks every exported question by reading it back.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field

from quizzes.questions import (
    BLANK,
    TEXT_FORMATS,
    Choice,
    MatchPair,
    NumericAnswer,
    Question,
    ShortAnswer,
)

DEFAULT_FORMAT = "moodle"
ANY_NUMBER = sys.float_info.max  # "any other number" is the range -ANY_NUMBER..ANY_NUMBER
_WS = " \t\n\r\x0b\x0c\x00"  # what Moodle's trim() removes (not NBSP: it is content)
_ESCAPES = {"~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "\\": "\\", "n": "\n"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBERISH = re.compile(r"[\d\s.,+-]*")
_FORMAT_TAG = re.compile(r"\[([A-Za-z]+)\]")
# A tag's value stops at an unescaped "[" too (write "\[" for one): else a line of "[id:"
# without their "]" is read again from each one, in time growing with the square of its length.
_META = re.compile(r"\[(id|tag):((?:\\.|[^\]\\\[])*)\]")
_TRUE, _FALSE = ("T", "TRUE"), ("F", "FALSE")
# Text that reads the same in every format: no line breaks, no markup, no list or heading start.
_MARKUP = re.compile(r"[\n<>&*_`\\\[\]~]|^\s*(?:#|[-+>]\s|\d+[.)]\s)")


@dataclass(frozen=True)
class GiftProblem:
    """Something in a GIFT file that was not imported, and where it is."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class GiftCategory:
    """A ``$CATEGORY:`` line: the questions after it belong to `path`."""

    line: int
    path: str


@dataclass
class GiftResult:
    """What a GIFT file holds: its questions, its category switches and its problems."""

    questions: list[Question] = field(default_factory=list)
    problems: list[GiftProblem] = field(default_factory=list)
    categories: list[GiftCategory] = field(default_factory=list)
    source: str = ""


@dataclass
class GiftExport:
    """GIFT text and what it could not express."""

    text: str
    problems: list[str] = field(default_factory=list)


class _Invalid(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


# --- reading ---------------------------------------------------------------------------------

def parse_gift(text: str, *, source: str = "") -> GiftResult:
    """Read GIFT text into questions; report whatever cannot be imported, with its line."""
    result = GiftResult(source=source)
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = re.split(r"\r\n|\r|\n", text)
    category = ""
    block: list[tuple[int, str]] = []
    for number, row in enumerate([*rows, ""], start=1):
        if row.strip(_WS):
            block.append((number, row))
        elif block:
            category = _read_block(block, category, result)
            block = []
    return result


def _read_block(block: list[tuple[int, str]], category: str, result: GiftResult) -> str:
    """Read one blank-line separated block; return the category in force after it."""
    comments = [(n, row) for n, row in block if row.lstrip(_WS).startswith("//")]
    content = [(n, row) for n, row in block if not row.lstrip(_WS).startswith("//")]
    if content and content[0][1].lstrip(_WS)[:10].upper() == "$CATEGORY:":
        number, row = content[0]
        category = row.strip(_WS)[10:].strip(_WS)
        result.categories.append(GiftCategory(number, category))
        content = content[1:]
    try:
        ident, tags = _read_meta(comments)
        if not content:
            if ident is not None or tags:
                raise _Invalid(comments[0][0], "[id:…] or [tag:…] belongs to no question: a "
                                               "blank line separates it from the next question")
            return category
        question = _read_question(_Source(content))
    except _Invalid as problem:
        result.problems.append(GiftProblem(problem.line, problem.message))
        return category
    question.category = category
    question.ident = ident
    question.tags = tags
    question.line = content[0][0]
    result.questions.append(question)
    return category


def _meta_value(value: str) -> str:
    """Return an id or tag as written inside [id:…] or [tag:…] (see _META)."""
    return value.replace("[", "\\[").replace("]", "\\]")


def _read_meta(comments: list[tuple[int, str]]) -> tuple[str | None, list[str]]:
    ident, ident_line, tags = None, 0, []
    for number, row in comments:
        for match in _META.finditer(row):
            value = match.group(2).replace("\\]", "]").replace("\\[", "[").strip(_WS)
            if not value:
                raise _Invalid(number, f"[{match.group(1)}:] is empty")
            if match.group(1) == "tag":
                tags.append(value)
            elif ident is not None:
                raise _Invalid(number, f"a second [id:…] for one question (the first is on "
                                       f"line {ident_line})")
            else:
                ident, ident_line = value, number
    return ident, tags


class _Source:
    """A question's lines with GIFT escapes resolved.

    ``text[i]`` is a character, ``live[i]`` tells whether it may act as GIFT syntax (an escaped
    character never does) and ``line(i)`` is its line in the file.
    """

    def __init__(self, rows: list[tuple[int, str]]):
        chars: list[str] = []
        self.live: list[bool] = []
        self.lines: list[int] = []
        for index, (number, row) in enumerate(rows):
            if index:
                chars.append("\n")
                self.live.append(True)
                self.lines.append(rows[index - 1][0])
            i = 0
            while i < len(row):
                if row[i] == "\\" and row[i + 1:i + 2] in _ESCAPES:
                    chars.append(_ESCAPES[row[i + 1]])
                    self.live.append(False)
                    i += 2
                else:
                    chars.append(row[i])
                    self.live.append(True)
                    i += 1
                self.lines.append(number)
        self.text = "".join(chars)

    def line(self, i: int) -> int:
        return self.lines[min(max(i, 0), len(self.lines) - 1)]

    def is_live(self, token: str, i: int) -> bool:
        return self.text.startswith(token, i) and all(self.live[i:i + len(token)])

    def find(self, token: str, start: int, end: int) -> int:
        i = self.text.find(token, start, end)
        while i >= 0 and not all(self.live[i:i + len(token)]):
            i = self.text.find(token, i + 1, end)
        return i

    def rfind(self, token: str, start: int, end: int) -> int:
        i = self.text.rfind(token, start, end)
        while i >= 0 and not all(self.live[i:i + len(token)]):
            i = self.text.rfind(token, start, i + len(token) - 1)
        return i

    def skip(self, start: int, end: int) -> int:
        while start < end and self.text[start] in _WS:
            start += 1
        return start

    def split(self, marks: str, start: int, end: int) -> list[tuple[str, int, int]]:
        """Cut start..end at live `marks`: (mark or "", start, end) for each piece."""
        pieces, mark, begin = [], "", start
        for i in range(start, end):
            if self.text[i] in marks and self.live[i]:
                pieces.append((mark, begin, i))
                mark, begin = self.text[i], i + 1
        pieces.append((mark, begin, end))
        return pieces

    def stripped(self, start: int, end: int) -> str:
        return self.text[start:end].strip(_WS)


def _read_format(src: _Source, start: int, end: int, default: str) -> tuple[str, int]:
    """Read an optional ``[format]`` at the start of start..end; return it and where text starts."""
    start = src.skip(start, end)
    match = _FORMAT_TAG.match(src.text, start, end)
    if match:
        name = match.group(1)
        if name.lower() in TEXT_FORMATS:
            return name.lower(), match.end()
        if name.islower() and 3 <= len(name) <= 10:  # a typo such as [htm], not "[x] is ..."
            raise _Invalid(src.line(start), f"unknown text format [{name}] (GIFT knows [html], "
                                            "[moodle], [markdown] and [plain])")
    return default, start


def _read_weight(src: _Source, start: int, end: int, default: float,
                 what: str) -> tuple[float, int]:
    """Read an optional ``%weight%``; return it (or `default`) and where the answer starts."""
    start = src.skip(start, end)
    if start < end and src.text[start] == "%" and src.live[start]:
        close = src.text.find("%", start + 1, end)
        raw = src.text[start + 1:close] if close > 0 else ""
        if close > 0 and _NUMBER.fullmatch(raw.strip()):
            weight = float(raw)
            if not -100 <= weight <= 100:
                raise _Invalid(src.line(start), f"the weight of {what} is {raw}%, outside "
                                                "-100..100 %")
            return weight, close + 1
        if close > 0 and _NUMBERISH.fullmatch(raw):
            raise _Invalid(src.line(start), f"the weight of {what}, %{raw}%, is not a number "
                                            "(write %50% or %-33.33333%)")
    return default, start


def _fit(src: _Source, at: int, fmt: str, text: str, question_format: str, what: str) -> str:
    """Accept a part whose own ``[format]`` reads the same in the question's format."""
    alike = not _MARKUP.search(text) or (
        {fmt, question_format} == {"html", "moodle"} and "\n" not in text)
    if fmt != question_format and not alike:
        raise _Invalid(src.line(at), f"{what} is [{fmt}] inside a [{question_format}] question; "
                                     f"a question has one text format here, so write it as "
                                     f"[{question_format}]")
    return text


def _read_part(src: _Source, start: int, end: int, question_format: str, what: str) -> str:
    fmt, begin = _read_format(src, start, end, question_format)
    return _fit(src, start, fmt, src.stripped(begin, end), question_format, what)


def _split_feedback(src: _Source, start: int, end: int) -> tuple[int, int | None]:
    """Return where the answer ends and where its ``#feedback`` starts (None without one)."""
    mark = src.find("#", start, end)
    return (end, None) if mark < 0 else (mark, mark + 1)


def _read_question(src: _Source) -> Question:
    end = len(src.text)
    i = src.skip(0, end)
    title = ""
    if src.is_live("::", i):
        close = src.find("::", i + 2, end)
        if close < 0:
            raise _Invalid(src.line(i), "the title is not closed: write ::title:: before the "
                                        "question text")
        title = src.stripped(i + 2, close)
        i = close + 2
    opening, closing = src.find("{", i, end), src.find("}", i, end)
    if closing >= 0 and (opening < 0 or closing < opening):
        raise _Invalid(src.line(closing), "“}” without an opening “{” (a blank line inside "
                                          "the answers ends the question; write \\} for a "
                                          "literal brace)")
    if opening < 0:
        fmt, i = _read_format(src, i, end, DEFAULT_FORMAT)
        text = src.stripped(i, end)
        if not text:
            raise _Invalid(src.line(i), "the question has no text")
        return Question(type="description", text=text, title=title, text_format=fmt)
    closing = src.find("}", opening + 1, end)
    if closing < 0:
        raise _Invalid(src.line(opening), "“{” is not closed by “}” before the end of the "
                                          "question (a blank line ends a question)")
    inner = src.find("{", opening + 1, closing)
    if inner >= 0:
        raise _Invalid(src.line(inner), "“{” inside the answers (write \\{ for a literal "
                                        "brace)")
    extra = min((k for k in (src.find("{", closing + 1, end), src.find("}", closing + 1, end))
                 if k >= 0), default=-1)
    if extra >= 0:
        raise _Invalid(src.line(extra), "a second answer block: a question has one {…} (write "
                                        "\\{ and \\} for literal braces)")
    fmt, i = _read_format(src, i, opening, DEFAULT_FORMAT)
    embedded = bool(src.stripped(closing + 1, end))
    if embedded:  # Moodle: substr_replace($text, "_____", ...), then trim
        text = (src.text[i:opening] + BLANK + src.text[closing + 1:end]).strip(_WS)
    else:
        text = src.stripped(i, opening)
    if not text:
        raise _Invalid(src.line(opening), "the question has no text")
    question = Question(type="essay", text=text, title=title, text_format=fmt,
                        embedded=embedded)

    body_end = closing
    separator = src.rfind("####", opening + 1, closing)
    if separator >= 0:
        question.general_feedback = _read_part(src, separator + 4, closing, fmt,
                                               "the general feedback")
        body_end = separator
    start = src.skip(opening + 1, body_end)
    while body_end > start and src.text[body_end - 1] in _WS:
        body_end -= 1
    if start == body_end:
        pass  # essay
    elif src.text[start] == "#" and src.live[start]:
        _read_numeric(src, question, start + 1, body_end, opening)
    elif src.find("~", start, body_end) >= 0:
        _read_choices(src, question, start, body_end, opening)
    elif src.find("=", start, body_end) >= 0 and src.find("->", start, body_end) >= 0:
        _read_matching(src, question, start, body_end, opening)
    elif src.stripped(start, _split_feedback(src, start, body_end)[0]).upper() in _TRUE + _FALSE:
        _read_truefalse(src, question, start, body_end)
    else:
        _read_short(src, question, start, body_end, opening)
    return question


def _read_choices(src: _Source, question: Question, start: int, end: int,
                  at: int) -> None:
    pieces = src.split("=~", start, end)
    if pieces[0][2] > start:
        raise _Invalid(src.line(start), "text before the first choice: start each choice with "
                                        "= (right) or ~ (wrong)")
    fmt = question.text_format
    question.type = "single" if any(mark == "=" for mark, _, _ in pieces) else "multiple"
    for number, (mark, begin, stop) in enumerate(pieces[1:], start=1):
        what = f"choice {number}"
        weight, begin = _read_weight(src, begin, stop, 100.0 if mark == "=" else 0.0, what)
        text_end, feedback_start = _split_feedback(src, begin, stop)
        text = _read_part(src, begin, text_end, fmt, what)
        if not text:
            raise _Invalid(src.line(begin), f"{what} is empty")
        feedback = "" if feedback_start is None else _read_part(
            src, feedback_start, stop, fmt, f"the feedback of {what}")
        question.choices.append(Choice(text=text, weight=weight, feedback=feedback))
    if len(question.choices) < 2:
        raise _Invalid(src.line(at), "a choice question needs at least two choices")
    weights = [c.weight for c in question.choices]
    if question.type == "single" and max(weights) != 100:
        raise _Invalid(src.line(at), "no choice is worth 100 % (the = choice is; a weight "
                                        "after = lowers it)")
    positive = sum(w for w in weights if w > 0)
    if question.type == "multiple" and abs(positive - 100) >= 0.5:
        raise _Invalid(src.line(at), f"the positive weights add up to {positive:g} %, not "
                                        "100 % (with no = choice, the question has several "
                                        "right choices whose weights share 100 %)")


def _read_short(src: _Source, question: Question, start: int, end: int,
                at: int) -> None:
    question.type = "short"
    pieces = src.split("=", start, end)
    if pieces[0][2] == start:  # "{=a =b}"; Moodle also takes a first answer without "="
        pieces = pieces[1:]
    for number, (_, begin, stop) in enumerate(pieces, start=1):
        what = f"answer {number}"
        weight, begin = _read_weight(src, begin, stop, 100.0, what)
        text_end, feedback_start = _split_feedback(src, begin, stop)
        _, begin = _read_format(src, begin, text_end, question.text_format)  # typed text: no format
        text = src.stripped(begin, text_end)
        if not text:
            raise _Invalid(src.line(begin), f"{what} is empty")
        feedback = "" if feedback_start is None else _read_part(
            src, feedback_start, stop, question.text_format, f"the feedback of {what}")
        question.short_answers.append(ShortAnswer(text=text, weight=weight, feedback=feedback))
    if max(a.weight for a in question.short_answers) != 100:
        raise _Invalid(src.line(at), "no answer is worth 100 %")


def _read_number(src: _Source, at: int, raw: str, what: str) -> float:
    raw = raw.strip(_WS)
    if not _NUMBER.fullmatch(raw):
        hint = " (write decimals with a dot)" if re.fullmatch(r"[+-]?\d+,\d+", raw) else ""
        raise _Invalid(src.line(at), f"{what}: “{raw}” is not a number{hint}")
    number = float(raw)
    if not math.isfinite(number):
        raise _Invalid(src.line(at), f"{what}: “{raw}” is too large")
    return number


def _read_numeric(src: _Source, question: Question, start: int, end: int,
                  at: int) -> None:
    question.type = "numeric"
    fmt = question.text_format
    other = src.find("~", start, end)
    if other >= 0:  # Moodle's "{#3:2~#feedback for any other number}"
        second = src.find("~", other + 1, end)
        if second >= 0:
            raise _Invalid(src.line(second), "a numeric question takes one ~ (~#feedback for "
                                             "any other number)")
    pieces = src.split("=", start, other if other >= 0 else end)
    if pieces[0][2] == src.skip(start, pieces[0][2]):  # nothing before the first "="
        pieces = pieces[1:]
    if not pieces:
        raise _Invalid(src.line(at), "a numeric question needs a number: {#3.14:0.01}, "
                                        "{#1..5} or {#=3 =%50%4}")
    for number, (_, begin, stop) in enumerate(pieces, start=1):
        what = f"answer {number}"
        weight, begin = _read_weight(src, begin, stop, 100.0, what)
        value_end, feedback_start = _split_feedback(src, begin, stop)
        feedback = "" if feedback_start is None else _read_part(
            src, feedback_start, stop, fmt, f"the feedback of {what}")
        raw = src.stripped(begin, value_end)
        answer = NumericAnswer(weight=weight, feedback=feedback)
        if raw == "*":
            answer.low, answer.high = -ANY_NUMBER, ANY_NUMBER
        elif ".." in raw[1:]:
            low, high = raw[0] + raw[1:].split("..", 1)[0], raw[1:].split("..", 1)[1]
            answer.low = _read_number(src, begin, low, f"the lowest number of {what}")
            answer.high = _read_number(src, begin, high, f"the highest number of {what}")
            if answer.low > answer.high:
                raise _Invalid(src.line(begin), f"{what}: the range {raw} runs backwards")
        elif ":" in raw[1:]:
            value, tolerance = raw[0] + raw[1:].split(":", 1)[0], raw[1:].split(":", 1)[1]
            answer.value = _read_number(src, begin, value, what)
            answer.tolerance = _read_number(src, begin, tolerance, f"the tolerance of {what}")
            if answer.tolerance < 0:
                raise _Invalid(src.line(begin), f"{what}: the tolerance is negative")
        else:
            answer.value = _read_number(src, begin, raw, what)
        question.numeric_answers.append(answer)
    if other >= 0:
        rest = src.skip(other + 1, end)
        feedback = ""
        if rest < end:
            if not src.is_live("#", rest):
                raise _Invalid(src.line(rest), "after ~ a numeric question takes only "
                                               "#feedback for any other number")
            feedback = _read_part(src, rest + 1, end, fmt, "the feedback for any other number")
        question.numeric_answers.append(NumericAnswer(low=-ANY_NUMBER, high=ANY_NUMBER,
                                                      weight=0.0, feedback=feedback))
    if max(a.weight for a in question.numeric_answers) != 100:
        raise _Invalid(src.line(at), "no answer is worth 100 %")


def _read_matching(src: _Source, question: Question, start: int, end: int,
                   at: int) -> None:
    question.type = "matching"
    pieces = src.split("=", start, end)
    if pieces[0][2] == start:
        pieces = pieces[1:]
    for number, (_, begin, stop) in enumerate(pieces, start=1):
        arrow = src.find("->", begin, stop)
        if arrow < 0:
            raise _Invalid(src.line(begin), f"pair {number} has no “->” (write =prompt -> "
                                            "answer)")
        left = _read_part(src, begin, arrow, question.text_format, f"the prompt of pair {number}")
        right = src.stripped(arrow + 2, stop)
        if not right:
            raise _Invalid(src.line(arrow), f"pair {number} has no answer after “->”")
        question.pairs.append(MatchPair(left=left, right=right))
    prompts = sum(1 for pair in question.pairs if pair.left)
    if prompts < 2:
        raise _Invalid(src.line(at), f"a matching question needs at least two prompts "
                                        f"(=prompt -> answer); it has {prompts}")


def _read_truefalse(src: _Source, question: Question, start: int, end: int) -> None:
    question.type = "truefalse"
    pieces = src.split("#", start, end)
    if len(pieces) > 3:
        raise _Invalid(src.line(pieces[3][1]), "a true/false question takes at most two "
                                               "feedbacks: {TRUE#for a wrong answer#for a right "
                                               "answer}")
    question.answer = src.stripped(pieces[0][1], pieces[0][2]).upper() in _TRUE
    fmt = question.text_format
    wrong = _read_part(src, pieces[1][1], pieces[1][2], fmt, "the first feedback") \
        if len(pieces) > 1 else ""
    right = _read_part(src, pieces[2][1], pieces[2][2], fmt, "the second feedback") \
        if len(pieces) > 2 else ""
    # Moodle: the first feedback goes to a wrong answer, the second to a right one.
    if question.answer:
        question.feedback_true, question.feedback_false = right, wrong
    else:
        question.feedback_true, question.feedback_false = wrong, right


# --- writing ---------------------------------------------------------------------------------

def export_gift(questions: list[Question]) -> GiftExport:
    """Write questions as GIFT; report what GIFT cannot express instead of dropping it quietly."""
    blocks: list[str] = []
    problems: list[str] = []
    category = ""
    for number, question in enumerate(questions, start=1):
        label = _label(number, question)
        notes: list[str] = []
        try:
            block = _write_question(question, notes)
        except _Invalid as problem:
            problems.append(f"{label}: {problem.message}; not exported")
            continue
        check = parse_gift(block)
        if check.problems or len(check.questions) != 1:
            problems.extend(f"{label}: {p.message}; not exported" for p in check.problems
                            or [GiftProblem(0, "it does not read back as one question")])
            continue
        notes.extend(_differences(question, check.questions[0]))
        if question.category != category:
            if "\n" in question.category or "\r" in question.category:
                problems.append(f"{label}: its category has a line break; not exported")
                continue
            blocks.append(f"$CATEGORY: {question.category}".rstrip())
            category = question.category
        blocks.append(block)
        problems.extend(f"{label}: {note}" for note in notes)
    return GiftExport(text="\n\n".join(blocks) + "\n" if blocks else "", problems=problems)


def _label(number: int, question: Question) -> str:
    name = question.title or " ".join(question.text.split())
    if len(name) > 40:
        name = name[:39] + "…"
    return f"question {number} “{name}”" if name else f"question {number}"


def _escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join("\\n" if c == "\n" else "\\" + c if c in "\\~=#{}:" else c for c in text)


def _part(text: str, fmt: str, *, weighted: bool = False) -> str:
    """Escape an answer or feedback; name its format when its start would be misread."""
    text = text.strip(_WS)
    if text.startswith("[") or (weighted and text.startswith("%")):
        return f"[{fmt}]{_escape(text)}"
    return _escape(text)


def _num(number: float) -> str:
    if not math.isfinite(number):
        raise _Invalid(0, f"{number} is not a finite number")
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return repr(float(number))


def _weight(weight: float, default: float) -> str:
    return "" if weight == default else f"%{_num(weight)}%"


def _feedback(text: str, fmt: str) -> str:
    return f"#{_part(text, fmt)}" if text.strip(_WS) else ""


def _write_question(question: Question, notes: list[str]) -> str:
    fmt = question.text_format
    if question.type == "ordering":
        raise _Invalid(0, "ordering questions have no GIFT form")
    if fmt not in TEXT_FORMATS:
        raise _Invalid(0, f"unknown text format “{fmt}”")
    if question.points != 1:
        notes.append(f"GIFT has no points; it is exported without its {question.points:g} "
                     "points (Moodle gives 1)")
    if question.type == "short" and question.case_sensitive:
        notes.append("GIFT has no case-sensitive matching; exported as case-insensitive")
    if question.type == "short" and question.diacritics != "lenient":
        notes.append("GIFT has no diacritics setting; exported without “strict” diacritics")

    lines = []
    meta = []
    if question.ident:
        meta.append("[id:" + _meta_value(question.ident) + "]")
    meta.extend("[tag:" + _meta_value(tag) + "]" for tag in question.tags)
    if meta:
        if any("\n" in m or "\r" in m for m in meta):
            raise _Invalid(0, "its id or a tag has a line break")
        lines.append("// " + " ".join(meta))

    answers, general = _write_answers(question, fmt)
    text = question.text.strip(_WS)
    before, after = text, ""
    if question.embedded:
        if text.count(BLANK) != 1:
            raise _Invalid(0, f"a missing-word question needs exactly one {BLANK} in its text")
        # The spacing beside the gap is the author's: "{=four =4}." reads back as "_____.".
        before, after = text.split(BLANK)
        if not after.strip(_WS):
            notes.append(f"GIFT cannot put the missing word at the very end; exported as a "
                         f"question whose text ends with {BLANK}")
            before, after = text, ""
    if question.type == "description":
        if question.general_feedback.strip(_WS):
            notes.append("GIFT has no general feedback for a description; not exported")
        answers = None
    head = f"::{_escape(question.title.strip(_WS))}::" if question.title.strip(_WS) else ""
    if fmt != DEFAULT_FORMAT or before.startswith(("[", "//", "$")):
        head += f"[{fmt}]"
    head += _escape(before)
    opener = "{#" if question.type == "numeric" else "{"
    if answers is None:
        lines.append(head)
    elif len(answers) <= 1 and not general:
        inner = "".join(answers)
        if question.type == "numeric" and inner.startswith("=") and not inner.startswith("=%"):
            inner = inner[1:]  # "{#1822:5}"
        lines.append(f"{head}{opener}{inner}}}{_escape(after)}")
    else:
        lines.append(f"{head} {opener}" if head and not after else head + opener)
        lines.extend(f"\t{answer}" for answer in answers)
        if general:
            lines.append(f"\t####{general}")
        lines.append("}" + _escape(after))
    return "\n".join(lines)


def _write_answers(question: Question, fmt: str) -> tuple[list[str], str]:
    """Return the lines inside ``{...}`` and the general feedback, both escaped."""
    general = _part(question.general_feedback, fmt) if question.general_feedback.strip(_WS) \
        else ""
    kind = question.type
    if kind in ("essay", "description"):
        return [], general
    if kind in ("single", "multiple"):
        lines = []
        for choice in question.choices:
            right = kind == "single" and choice.weight == 100
            mark = "=" if right else "~" + _weight(choice.weight, 0.0)
            lines.append(mark + _part(choice.text, fmt, weighted=True)
                         + _feedback(choice.feedback, fmt))
        if kind == "single" and all(line.startswith("=") for line in lines) and len(lines) > 1:
            # Only "=" answers would read as short answers: mark the last one ~%100%.
            lines[-1] = "~%100%" + lines[-1][1:]
        return lines, general
    if kind == "truefalse":
        if question.answer is None:
            raise _Invalid(0, "a true/false question without its answer")
        right, wrong = ((question.feedback_true, question.feedback_false) if question.answer
                        else (question.feedback_false, question.feedback_true))
        body = "TRUE" if question.answer else "FALSE"
        if wrong.strip(_WS) or right.strip(_WS):
            body += "#" + _part(wrong, fmt) if wrong.strip(_WS) else "#"
        if right.strip(_WS):
            body += "#" + _part(right, fmt)
        if general:
            body += f"####{general}"
        return [body], ""
    if kind == "short":
        if any("->" in a.text + a.feedback for a in question.short_answers):
            raise _Invalid(0, "a short answer or its feedback containing “->” reads as a "
                              "matching question in GIFT")
        return [f"={_weight(a.weight, 100.0)}{_part(a.text, fmt, weighted=True)}"
                f"{_feedback(a.feedback, fmt)}" for a in question.short_answers], general
    if kind == "numeric":
        return _write_numeric(question, fmt), general
    if kind == "matching":
        lines = []
        for pair in question.pairs:
            if "->" in pair.left:
                raise _Invalid(0, "a matching prompt containing “->” cannot be written in GIFT")
            lines.append(f"={_part(pair.left, fmt)} -> {_escape(pair.right.strip(_WS))}")
        return lines, general
    raise _Invalid(0, f"unknown question type “{kind}”")


def _write_numeric(question: Question, fmt: str) -> list[str]:
    lines, other = [], None
    for answer in question.numeric_answers:
        feedback = _feedback(answer.feedback, fmt)
        if answer.low is not None and answer.high is not None:
            if answer.low <= -ANY_NUMBER and answer.high >= ANY_NUMBER:
                if answer.weight == 0 and other is None:
                    other = f"~{feedback}"  # Moodle writes "any other number" this way
                else:
                    lines.append(f"={_weight(answer.weight, 100.0)}*{feedback}")
                continue
            value = f"{_num(answer.low)}..{_num(answer.high)}"
        elif answer.value is not None:
            value = _num(answer.value)
            if answer.tolerance:
                value += f":{_num(answer.tolerance)}"
        else:
            raise _Invalid(0, "a numeric answer without a number or a range")
        lines.append(f"={_weight(answer.weight, 100.0)}{value}{feedback}")
    if other is not None:
        lines.append(other)  # after every "=" answer: Moodle reads the rest as its feedback
    return lines


_COMPARED = ("type", "title", "text", "text_format", "general_feedback", "embedded")
_ANSWER_FIELDS = {"single": ("choices",), "multiple": ("choices",),
                  "truefalse": ("answer", "feedback_true", "feedback_false"),
                  "short": ("short_answers",), "numeric": ("numeric_answers",),
                  "matching": ("pairs",)}


def _numeric_order(answer: dict) -> tuple[bool, str]:
    return answer["low"] is not None and answer["low"] <= -ANY_NUMBER, repr(answer)


def _differences(question: Question, back: Question) -> list[str]:
    """Name what reading the exported text back would change (beyond the notes already made)."""
    wrote, read = question.to_dict(), back.to_dict()
    if question.type == "numeric":  # "any other number" moves last; order does not matter
        wrote["numeric_answers"] = sorted(wrote["numeric_answers"], key=_numeric_order)
        read["numeric_answers"] = sorted(read["numeric_answers"], key=_numeric_order)
    if question.type == "description":
        wrote["general_feedback"] = read["general_feedback"]
    notes = []
    for name in _COMPARED + _ANSWER_FIELDS.get(question.type, ()):
        if name == "embedded" and question.embedded and question.text.strip(_WS).endswith(BLANK):
            continue  # already noted
        if wrote[name] != read[name]:
            if name == "text":
                notes.append(f"its text will read “{read['text']}” after import")
            else:
                notes.append(f"its {name.replace('_', ' ')} will change on import")
    if (question.ident or None) != back.ident or list(question.tags) != back.tags:
        notes.append("its id or tags will change on import")
    return notes
