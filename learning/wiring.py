"""Composition root: the blueprint list, CLI groups, template globals and signal subscriptions.

Every cross-feature subscription is connected here, so the whole flow reads in one place.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_login import current_user

from certificates import cli as certificates_cli
from certificates import services as certificate_services
from certificates import views as certificates_views
from courses import cli as courses_cli
from courses import player as course_player
from courses import signals as course_signals
from courses import views as courses_views
from courses.services import get_enrolment
from learning import clock, i18n
from learning.accounts import cli as accounts_cli
from learning.accounts import services as accounts
from learning.accounts import signals as account_signals
from learning.accounts import views as accounts_views
from learning.api import auth as api_auth
from learning.api import views as api_views
from learning.api.errors import is_api_request
from learning.campaigns import cli as campaigns_cli
from learning.campaigns import services as campaigns
from learning.extensions import csrf, login_manager
from learning.mentoring import cli as mentoring_cli
from learning.mentoring import services as mentoring
from learning.mentoring import task_views as mentoring_task_views
from learning.mentoring import views as mentoring_views
from learning.progress import queries as progress_queries
from learning.progress import services as progress
from learning.progress import signals as progress_signals
from learning.reports import cli as reports_cli
from learning.reports import hr_views
from learning.reports import people_views
from learning.reports import ranking_views
from learning.reports import views as reports_views
from learning.site import cli as site_cli
from learning.site import header as site_header
from learning.site import views as site_views
from learning.tasks import services as task_services
from learning.tasks import signals as task_signals
from learning.tasks import views as tasks_views
from quizzes import cli as quizzes_cli
from quizzes import status_line as quiz_status_line
from quizzes import services as quiz_services
from quizzes import signals as quiz_signals
from quizzes import views as quizzes_views

BLUEPRINTS = (site_views.bp, accounts_views.bp, courses_views.bp, quizzes_views.bp,
              certificates_views.bp, api_views.bp, mentoring_views.bp, tasks_views.bp,
              reports_views.bp, people_views.bp, hr_views.bp, ranking_views.bp)
# Modules that add routes to a blueprint above (mentoring's), imported before it is registered.
ROUTE_MODULES = (mentoring_task_views,)
CLI_GROUPS = (accounts_cli.users_cli, accounts_cli.departments_cli, courses_cli.courses_cli,
              quizzes_cli.quizzes_cli, certificates_cli.certificates_cli, site_cli.demo_cli,
              accounts_cli.tokens_cli, mentoring_cli.groups_cli,
              mentoring_cli.notifications_cli, campaigns_cli.campaigns_cli,
              reports_cli.reports_cli)


def connect_signals() -> None:
    """Subscribe the higher layers to what the lower layers announce (idempotent)."""
    course_signals.lesson_completed.connect(progress.on_lesson_completed)
    course_signals.lesson_done_next.connect(progress_queries.after_lesson_done)
    course_signals.package_checking.connect(quiz_services.check_package)
    course_signals.package_applied.connect(quiz_services.apply_package)
    course_signals.package_checking.connect(task_services.check_package)
    course_signals.package_applied.connect(task_services.apply_package)
    task_signals.task_confirmed.connect(progress.on_task_confirmed)
    course_signals.course_content_changed.connect(progress.on_course_content_changed)
    quiz_signals.attempt_graded.connect(progress.on_attempt_graded)
    progress_signals.course_completed.connect(certificate_services.on_course_completed)
    # HR's summaries follow every change of standing, in the same transaction (after the
    # subscribers above: a completion's certificate, with its score, exists by then).
    course_signals.enrolment_created.connect(campaigns.on_enrolment_changed)
    course_signals.enrolment_changed.connect(campaigns.on_enrolment_changed)
    course_signals.course_content_changed.connect(campaigns.on_course_content_changed)
    account_signals.officials_placed.connect(campaigns.on_officials_placed)


def _course_certificate(app: Flask, course, enrolment=None):
    """Template helper: the signed-in official's certificate for a course page (`enrolment`,
    when the page has it, saves reading it again)."""
    return certificate_services.for_course_page(
        current_user, enrolment if enrolment is not None else get_enrolment(current_user, course),
        now=clock.now(), days=app.config["CERT_REMIND_DAYS"])


def _load_session_user(token: str):
    """Flask-Login's loader: the official of the live server session the cookie designates."""
    if is_api_request():  # the API knows bearer tokens only (learning.api.auth)
        return None
    config = current_app.config  # not a closure over one app: tests create several
    return accounts.load_session_user(
        token, now=clock.now(), idle=config["SESSION_IDLE_TIMEOUT"],
        lifetime=config["SESSION_LIFETIME"], touch_every=config["SESSION_TOUCH_INTERVAL"])


def register(app: Flask) -> None:
    """Attach blueprints, CLI commands and template helpers to `app`."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for group in CLI_GROUPS:
        app.cli.add_command(group)
    connect_signals()

    login_manager.user_loader(_load_session_user)
    login_manager.request_loader(api_auth.load_user_from_request)
    # No cookie authenticates an API request, so there is no session for a CSRF token to guard.
    csrf.exempt(api_views.bp)
    app.add_template_global(site_header.site_header, "site_header")
    app.add_template_global(course_player.player_outline, "player_outline")
    app.add_template_global(course_player.lesson_page, "lesson_page")
    app.add_template_global(quiz_status_line.quiz_line, "quiz_line")
    app.add_template_filter(i18n.in_language, "in_language")
    app.add_template_filter(i18n.format_duration, "duration")
    app.add_template_filter(i18n.format_estimate, "estimate")
    app.add_template_filter(i18n.format_iso_date, "localdate")
    app.add_template_filter(i18n.format_short_date, "shortdate")
    app.add_template_filter(i18n.format_long_date, "longdate")
    app.add_template_filter(i18n.format_short_datetime, "shortdatetime")

    @app.context_processor
    def template_helpers():
        return {
            "language_names": i18n.LANGUAGE_NAMES,
            "current_locale": i18n.current_language,
            "ministry_name": app.config["MINISTRY_NAME"],
            "can_use_hr_pages": accounts.can_use_hr_pages,
            "can_use_mentoring": mentoring.can_use_mentoring,
            "course_certificate": lambda course, enrolment=None: _course_certificate(
                app, course, enrolment),
            # the official's standing and next step in a course (course and quiz result pages)
            "course_progress": lambda course, enrolment: progress_queries.course_progress(
                current_user, course, enrolment, now=clock.now()),
            "next_course": lambda course: progress_queries.next_course(current_user, course),
            # the course's practical tasks and the official's standing on each (`standing`:
            # as course_progress read it, when it did)
            "course_tasks": lambda course, standing=None: task_services.course_page_rows(
                current_user.id, course, standing),
        }
