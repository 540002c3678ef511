"""Signals the quizzes layer sends (subscribed in learning/wiring.py)."""

from blinker import Namespace

_signals = Namespace()

# sender: the graded QuizAttempt; kwargs: now
attempt_graded = _signals.signal("attempt_graded")
