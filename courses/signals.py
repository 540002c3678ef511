"""Signals the courses layer sends to higher layers (subscribed in learning/wiring.py)."""

from blinker import Namespace

_signals = Namespace()

# sender: the Lesson; kwargs: user_id, course_id, now
lesson_completed = _signals.signal("lesson_completed")
# sender: the Course; kwargs: now — its lessons changed, so every enrolment's figures may change
course_content_changed = _signals.signal("course_content_changed")
# sender: the Enrolment; kwargs: now
enrolment_created = _signals.signal("enrolment_created")
