"""Signals the tasks layer sends (subscribed in learning/wiring.py)."""

from blinker import Namespace

_signals = Namespace()

# sender: the TaskSubmission; kwargs: now — a reviewer confirmed a practical task
task_confirmed = _signals.signal("task_confirmed")
