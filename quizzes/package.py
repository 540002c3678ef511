"""Quizzes inside course packages: read `quiz.toml` / `quiz.gift` files into quiz specs.

Pure: bytes in, specs or problems (file, line, reason) out. A `quiz.toml` / `quiz.gift` at the
package root is the course's final test; in a module folder, that module's quiz.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import tomllib
from dataclasses import dataclass, field

from courses.packages import SLUG, Problem
from learning.markdown import markdown_problem
from quizzes.gift import parse_gift
from quizzes.questions import (
    TYPES,
    Choice,
    MatchPair,
    NumericAnswer,
    Question,
    ShortAnswer,
)

DEFAULT_TITLES = {"vi": "Kiểm tra: {name}", "en": "Quiz: {name}", "ko": "퀴즈: {name}"}
FINAL_TITLES = {"vi": "Kiểm tra cuối khóa", "en": "Final test", "ko": "최종 시험"}


@dataclass
class QuizSpec:
    """A quiz as described by its package files."""

    folder: str  # "" for the final test, else the module folder
    slug: str
    title: str
    source_path: str
    pass_mark: int = 70
    max_attempts: int | None = None
    time_limit_seconds: int | None = None
    shuffle_questions: bool = True
    shuffle_options: bool = True
    draw_count: int | None = None
    grading_policy: str = "highest"
    review_policy: str = "feedback"
    is_required: bool = True
    one_page: bool = True
    requires: list[str] = field(default_factory=list)  # "lessons", "quiz:<module slug>"
    questions: list[tuple[str, Question]] = field(default_factory=list)  # (key, question)


def question_key(question: Question, taken: set[str]) -> str:
    """Return a key that stays the same while the question is unchanged (or keeps its id)."""
    if question.ident:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", question.ident)[:60] or "q"
    else:
        digest = hashlib.sha1(f"{question.type}\0{question.title}\0{question.text}".encode())
        base = "q" + digest.hexdigest()[:16]
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    taken.add(key)
    return key


def _choices(raw, path, where, problems, multiple: bool) -> list[Choice]:
    if not isinstance(raw, list) or len(raw) < 2:
        problems.append(Problem(path, None, f"{where}: give at least two choices"))
        return []
    choices = []
    correct = [c for c in raw if isinstance(c, dict) and c.get("correct") is True]
    for item in raw:
        if not isinstance(item, dict) or not str(item.get("text", "")).strip():
            problems.append(Problem(path, None, f"{where}: every choice needs a text"))
            continue
        if "weight" in item:
            weight = item["weight"]
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
                    or not -100 <= weight <= 100:
                problems.append(Problem(path, None, f"{where}: weight must be -100..100"))
                weight = 0
        elif item.get("correct") is True:
            weight = 100 / len(correct) if multiple else 100
        else:
            weight = -100 / max(1, len(correct)) if multiple else 0
        choices.append(Choice(text=str(item["text"]), weight=float(weight),
                              feedback=str(item.get("feedback", ""))))
    if not any(c.weight > 0 for c in choices):
        problems.append(Problem(path, None, f"{where}: no choice is marked correct"))
    return choices


def question_from_toml(raw: dict, path: str, where: str, problems: list[Problem]
                       ) -> Question | None:
    """Build a question from a [[questions]] table, reporting what is wrong."""
    before = len(problems)
    kind = raw.get("type")
    if kind not in TYPES:
        problems.append(Problem(path, None, f"{where}: type must be one of {', '.join(TYPES)}"))
        return None
    text = str(raw.get("text", "")).strip()
    if not text:
        problems.append(Problem(path, None, f"{where}: text is required"))
    points = raw.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        problems.append(Problem(path, None, f"{where}: points must be a positive number"))
        points = 1
    question = Question(type=kind, text=text, title=str(raw.get("title", "")),
                        general_feedback=str(raw.get("feedback", "")), points=float(points),
                        ident=str(raw["id"]) if raw.get("id") else None)
    if kind in ("single", "multiple"):
        question.choices = _choices(raw.get("choices"), path, where, problems, kind == "multiple")
    elif kind == "truefalse":
        if not isinstance(raw.get("answer"), bool):
            problems.append(Problem(path, None, f"{where}: answer must be true or false"))
        question.answer = bool(raw.get("answer"))
        question.feedback_true = str(raw.get("feedback_true", ""))
        question.feedback_false = str(raw.get("feedback_false", ""))
    elif kind == "short":
        answers = raw.get("answers")
        if not isinstance(answers, list) or not answers:
            problems.append(Problem(path, None, f"{where}: give the accepted answers"))
            answers = []
        for item in answers:
            if isinstance(item, str):
                question.short_answers.append(ShortAnswer(text=item))
            elif isinstance(item, dict) and str(item.get("text", "")).strip():
                question.short_answers.append(ShortAnswer(
                    text=str(item["text"]), weight=float(item.get("weight", 100)),
                    feedback=str(item.get("feedback", ""))))
            else:
                problems.append(Problem(path, None, f"{where}: an answer has no text"))
        question.case_sensitive = bool(raw.get("case_sensitive", False))
        question.diacritics = raw.get("diacritics", "lenient")
        if question.diacritics not in ("lenient", "strict"):
            problems.append(Problem(path, None, f"{where}: diacritics must be lenient or strict"))
    elif kind == "numeric":
        answers = raw.get("answers")
        if not isinstance(answers, list) or not answers:
            problems.append(Problem(path, None, f"{where}: give the accepted numbers"))
            answers = []
        for item in answers:
            numbers = {k: item.get(k) for k in ("value", "tolerance", "low", "high")} \
                if isinstance(item, dict) else {}
            if not numbers or not all(v is None or (isinstance(v, (int, float))
                                                    and not isinstance(v, bool))
                                      for v in numbers.values()) or (
                    numbers["value"] is None and (numbers["low"] is None or numbers["high"] is None)):
                problems.append(Problem(path, None, f"{where}: a numeric answer needs a value "
                                                    "(and tolerance) or low and high"))
                continue
            question.numeric_answers.append(NumericAnswer(
                value=numbers["value"], tolerance=float(numbers["tolerance"] or 0),
                low=numbers["low"], high=numbers["high"], weight=float(item.get("weight", 100)),
                feedback=str(item.get("feedback", ""))))
    elif kind == "matching":
        pairs = raw.get("pairs")
        if not isinstance(pairs, list) or len(pairs) < 2:
            problems.append(Problem(path, None, f"{where}: give at least two pairs"))
            pairs = []
        for item in pairs:
            if not isinstance(item, dict) or not item.get("left") or not item.get("right"):
                problems.append(Problem(path, None, f"{where}: every pair needs left and right"))
                continue
            question.pairs.append(MatchPair(left=str(item["left"]), right=str(item["right"])))
        for extra in raw.get("distractors", []):
            question.pairs.append(MatchPair(left="", right=str(extra)))
    elif kind == "ordering":
        items = raw.get("items")
        if not isinstance(items, list) or len(items) < 2 or not all(
                isinstance(i, str) and i.strip() for i in items):
            problems.append(Problem(path, None, f"{where}: give at least two items in order"))
            items = []
        question.order = [str(i) for i in items]
    if kind == "description":
        question.points = 0.0
    return question if len(problems) == before else None


def _settings(meta: dict, spec: QuizSpec, path: str, problems: list[Problem]) -> None:
    def number(key, low, high, default):
        value = meta.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(Problem(path, None, f"“{key}” must be a whole number from {low} "
                                                f"to {high}"))
            return default
        return value

    spec.pass_mark = number("pass_mark", 0, 100, 70)
    attempts = number("max_attempts", 0, 1000, None)
    spec.max_attempts = attempts or None
    minutes = number("time_limit_minutes", 1, 24 * 60, None)
    spec.time_limit_seconds = minutes * 60 if minutes else None
    spec.draw_count = number("draw", 1, 10_000, None)
    for key, attribute in (("shuffle_questions", "shuffle_questions"),
                           ("shuffle_options", "shuffle_options"), ("required", "is_required"),
                           ("one_page", "one_page")):
        if key in meta:
            if not isinstance(meta[key], bool):
                problems.append(Problem(path, None, f"“{key}” must be true or false"))
            else:
                setattr(spec, attribute, meta[key])
    grading = meta.get("grading", "highest")
    if grading not in ("highest", "last"):
        problems.append(Problem(path, None, "“grading” must be highest or last"))
    else:
        spec.grading_policy = grading
    requires = meta.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        problems.append(Problem(path, None, "“requires” must be a list of texts"))
    else:
        for item in requires:
            if item != "lessons" and not (item.startswith("quiz:") and SLUG.match(item[5:])):
                problems.append(Problem(path, None, f"“requires”: “{item}” is neither "
                                                    "\"lessons\" nor \"quiz:<module slug>\""))
            elif item not in spec.requires:
                spec.requires.append(item)
    review = meta.get("review", "feedback")
    if review not in ("score", "answers", "feedback"):
        problems.append(Problem(path, None, "“review” must be score, answers or feedback"))
    else:
        spec.review_policy = review


def _texts(question: Question):
    """Yield every text of a question that is shown as Markdown."""
    yield from (question.text, question.general_feedback, question.feedback_true,
                question.feedback_false, *question.order)
    for choice in question.choices:
        yield from (choice.text, choice.feedback)
    yield from (answer.feedback for answer in question.short_answers)
    yield from (answer.feedback for answer in question.numeric_answers)
    for pair in question.pairs:
        yield from (pair.left, pair.right)


def _check_texts(question: Question, path: str, where: str | None,
                 problems: list[Problem]) -> None:
    """Report a text that Markdown could not show in reasonable time (learning.markdown)."""
    for text in _texts(question):
        problem = markdown_problem(text)
        if problem:
            problems.append(Problem(path, question.line, f"{where}: {problem}" if where
                                    else problem))
            return


def parse_quizzes(files: dict[str, bytes], *, language: str = "vi",
                  module_titles: dict[str, str] | None = None) -> tuple[list[QuizSpec],
                                                                         list[Problem]]:
    """Read every quiz of a package; return the specs and all problems found."""
    problems: list[Problem] = []
    specs: list[QuizSpec] = []
    folders = sorted({posixpath.dirname(p) for p in files
                      if posixpath.basename(p) in ("quiz.toml", "quiz.gift") and p.count("/") <= 1})
    module_titles = module_titles or {}
    for folder in folders:
        prefix = f"{folder}/" if folder else ""
        toml_path, gift_path = prefix + "quiz.toml", prefix + "quiz.gift"
        meta: dict = {}
        if toml_path in files:
            try:
                meta = tomllib.loads(files[toml_path].decode("utf-8"))
            except UnicodeDecodeError:
                problems.append(Problem(toml_path, None, "not UTF-8 text"))
                continue
            except tomllib.TOMLDecodeError as error:
                match = re.search(r"line (\d+)", str(error))
                problems.append(Problem(toml_path, int(match.group(1)) if match else None,
                                        f"invalid TOML: {error}"))
                continue
        name = module_titles.get(folder, folder)
        default_slug = f"{folder.split('-', 1)[-1] if folder[:2].isdigit() else folder}-quiz" \
            if folder else "final-test"
        default_slug = re.sub(r"[^a-z0-9]+", "-", default_slug.lower()).strip("-")
        title = str(meta.get("title") or (DEFAULT_TITLES.get(language, DEFAULT_TITLES["en"])
                                          .format(name=name) if folder
                                          else FINAL_TITLES.get(language, "Final test")))
        path = toml_path if toml_path in files else gift_path
        spec = QuizSpec(folder=folder, slug=str(meta.get("slug") or default_slug), title=title,
                        source_path=path)
        if not SLUG.match(spec.slug):
            problems.append(Problem(path, None, f"slug “{spec.slug}” may use only a-z, 0-9 and "
                                                "single hyphens"))
        _settings(meta, spec, toml_path, problems)
        taken: set[str] = set()
        raw_questions = meta.get("questions", [])
        if not isinstance(raw_questions, list):
            problems.append(Problem(toml_path, None, "“questions” must be [[questions]] tables"))
            raw_questions = []
        for index, raw in enumerate(raw_questions, start=1):
            question = question_from_toml(raw if isinstance(raw, dict) else {}, toml_path,
                                          f"question {index}", problems)
            if question is not None:
                _check_texts(question, toml_path, f"question {index}", problems)
                spec.questions.append((question_key(question, taken), question))
        if gift_path in files:
            try:
                text = files[gift_path].decode("utf-8-sig")
            except UnicodeDecodeError:
                problems.append(Problem(gift_path, None, "not UTF-8 text"))
                text = ""
            result = parse_gift(text, source=gift_path)
            problems.extend(Problem(gift_path, p.line, p.message) for p in result.problems)
            for question in result.questions:
                _check_texts(question, gift_path, None, problems)
                spec.questions.append((question_key(question, taken), question))
        if not any(q.is_graded for _, q in spec.questions):
            problems.append(Problem(path, None, "the quiz has no auto-graded question"))
        if spec.draw_count and spec.draw_count > len([q for _, q in spec.questions
                                                      if q.type != "description"]):
            problems.append(Problem(toml_path, None, "“draw” is larger than the question bank"))
        specs.append(spec)
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.slug in seen:
            problems.append(Problem(spec.source_path, None, f"quiz slug “{spec.slug}” is also "
                                                            f"used by {seen[spec.slug]}"))
        seen.setdefault(spec.slug, spec.source_path)
    return specs, problems
