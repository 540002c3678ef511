"""Reading an attempt page's answers from a submitted form, slot by slot, safely.

The fields are made per question (q3, q3-m0, q3-o1, ...), so they are read here rather than by
a fixed WTForms class; the CSRF token is checked by the view's ActionForm. Anything malformed
is treated as no answer, never as an error page. Submitting for grading is a form of its own
(`SubmitAttemptForm`), on the review page, never a button of the attempt form.
"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired

from learning.forms import Form

MAX_TEXT = 10_000


def _int(value, size: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < size else None


def read_slot(slot_index: int, slot: dict, form: MultiDict):
    """Return the stored (display-terms) response for one slot, or None when unanswered."""
    name = f"q{slot_index}"
    data = slot["data"]
    kind = data["type"]
    if kind == "single":
        return _int(form.get(name), len(slot["choice_order"]))
    if kind == "multiple":
        chosen = sorted({i for i in (_int(v, len(slot["choice_order"]))
                                     for v in form.getlist(name)) if i is not None})
        return chosen or None
    if kind == "truefalse":
        value = form.get(name)
        return {"true": True, "false": False}.get(value)
    if kind in ("short", "numeric"):
        value = (form.get(name) or "").strip()[:500]
        return value or None
    if kind == "essay":
        value = (form.get(name) or "").strip()[:MAX_TEXT]
        return value or None
    if kind == "matching":
        prompts = [pair for pair in data["pairs"] if pair["left"]]
        answer = {}
        for i in range(len(prompts)):
            choice = _int(form.get(f"{name}-m{i}"), len(slot["rights"]))
            if choice is not None:
                answer[str(i)] = choice
        return answer or None
    if kind == "ordering":
        size = len(slot["item_order"])
        answer = {}
        for k in range(size):
            position = _int(form.get(f"{name}-o{k}"), size + 1)
            if position:
                answer[str(k)] = position
        return answer or None
    return None


def read_page(layout: list[dict], slots: list[int], form: MultiDict) -> dict[int, object]:
    """Return the responses of the slots shown on one page."""
    return {index: read_slot(index, layout[index], form) for index in slots}


class SubmitAttemptForm(Form):
    """The confirmation that grades an attempt: its own CSRF token and an explicit confirm=1,
    so no other form (nor a stray Enter in the attempt form) can spend an attempt."""

    confirm = HiddenField(default="1", validators=[InputRequired(), AnyOf(["1"])])
