"""Signals the progress layer sends (subscribed in learning/wiring.py)."""

from blinker import Namespace

_signals = Namespace()

# sender: the Enrolment; kwargs: now — the course's completion rule was met for the first time
course_completed = _signals.signal("course_completed")
