"""Signals the courses layer sends to higher layers (subscribed in learning/wiring.py)."""

from blinker import Namespace

_signals = Namespace()

# sender: the Lesson; kwargs: user_id, course_id, now
lesson_completed = _signals.signal("lesson_completed")
# sender: the Course; kwargs: now — its lessons changed, so every enrolment's figures may change
course_content_changed = _signals.signal("course_content_changed")
# sender: the Enrolment; kwargs: now
enrolment_created = _signals.signal("enrolment_created")
# sender: the package files (dict path -> bytes); kwargs: spec (CourseSpec or None). Receivers
# return a list of courses.packages.Problem: any problem refuses the whole package.
package_checking = _signals.signal("package_checking")
# sender: the Course; kwargs: now, spec — sent before course_content_changed, so that other
# parts of the package (quizzes) are in place when completion figures are recomputed.
package_applied = _signals.signal("package_applied")
# sender: the Lesson; kwargs: user, now — asked once the official has marked the lesson done (and
# not completed the course by it): a receiver may name the page to go to next, returning
# (endpoint, URL values), or None to let the course go on to its next lesson.
lesson_done_next = _signals.signal("lesson_done_next")
# sender: the Enrolment; kwargs: now — its standing may have changed (first opened, lessons done,
# completed, re-taken): HR's summaries follow it in the same transaction.
enrolment_changed = _signals.signal("enrolment_changed")
