"""Reminders: due-date reminders from `flask notifications send-due` and mentors' nudges, in
the app and by email. A real SMTP server (aiosmtpd, on a free local port) receives the emails;
the clock is controlled (`--now`, and learning.clock.now for the pages)."""

from __future__ import annotations

import email
import logging
import socket
import threading
from datetime import date
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from learning import clock
from learning.mentoring import services as mentoring
from learning.mentoring.models import ReminderSent
from learning.notifications import Notification
from tests.conftest import translated, translated_plural, visible_text
from tests.courses.steps import new_client
from tests.mentoring import steps
from tests.mentoring.steps import at

DUE = date(2026, 3, 10)


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on 127.0.0.1, and the application pointed at it."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "HọcSố <no-reply@hocso.test>")
    monkeypatch.setitem(app.config, "REMIND_BEFORE_DAYS", (3, 1))
    monkeypatch.setitem(app.config, "REMIND_AFTER_DAYS", (7, 1))
    yield inbox
    controller.stop()


@pytest.fixture
def scene(app, db, tmp_path):
    """A mentor's group of four, a lesson due on 10 March: Hương has done it, the others
    have not; An reads Vietnamese, Bình English, Min-jun Korean; Mai has no email."""
    steps.course(tmp_path)
    mentor = steps.official("Phạm Đức Anh", roles=("mentor", "learner"), username="mentor")
    huong = steps.official("Nguyễn Thị Hương", email="huong@mofa.test")
    an = steps.official("Trần Văn An", email="an@mofa.test", preferred_language="vi")
    binh = steps.official("Lê Thị Bình", email="binh@mofa.test", preferred_language="en")
    minjun = steps.official("Kim Min-jun", email="minjun@mofa.test", preferred_language="ko")
    group = steps.group_with(mentor, [huong, an, binh, minjun])
    assignment, _created = mentoring.assign(mentor, group, steps.SLUG, None, "a", DUE, "",
                                            None, now=at("2026-03-01 02:00"))
    db.session.commit()
    steps.complete(huong, "a", now=at("2026-03-02 02:00"))
    return {"mentor": mentor, "huong": huong, "an": an, "binh": binh, "minjun": minjun,
            "group": group, "assignment": assignment}


def send_due(runner, moment: str):
    result = runner.invoke(args=["notifications", "send-due", "--now", moment])
    assert result.exit_code == 0, result.output
    return result


def notifications_of(db, user, kind=None):
    db.session.expire_all()
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def test_each_due_reminder_goes_once_through_real_smtp(app, db, runner, smtp, scene):
    # 7 March, 09:00 in Hà Nội: three days before the due day.
    result = send_due(runner, "2026-03-07T02:00:00+00:00")
    assert "3 reminder(s) sent" in result.output and "3 email(s) sent" in result.output
    assert sorted(m["To"] for m in smtp.messages) == [
        "an@mofa.test", "binh@mofa.test", "minjun@mofa.test"]  # not Hương: she is done
    assert not notifications_of(db, scene["huong"])
    assert [n.params["days"] for n in notifications_of(db, scene["an"],
                                                        "assignment_due_soon")] == [3]

    # Again the same day (cron every hour): nothing new.
    result = send_due(runner, "2026-03-07T09:00:00+00:00")
    assert "0 reminder(s) sent" in result.output
    assert len(smtp.messages) == 3
    assert len(notifications_of(db, scene["an"])) == 1

    # A day with no round (8 March): nothing.
    send_due(runner, "2026-03-08T02:00:00+00:00")
    assert len(smtp.messages) == 3

    # 9 March: one day before; Bình finishes first and is not reminded.
    steps.complete(scene["binh"], "a", now=at("2026-03-08 05:00"))
    send_due(runner, "2026-03-09T02:00:00+00:00")
    assert sorted(m["To"] for m in smtp.messages[3:]) == ["an@mofa.test", "minjun@mofa.test"]

    # 11 March 09:00 in Hà Nội (02:00 UTC): one day overdue.
    send_due(runner, "2026-03-11T02:00:00+00:00")
    overdue = smtp.messages[5:]
    assert sorted(m["To"] for m in overdue) == ["an@mofa.test", "minjun@mofa.test"]
    assert len(notifications_of(db, scene["an"], "assignment_overdue")) == 1
    # 17 March: seven days overdue; and twice more, still once each.
    for _run in range(3):
        send_due(runner, "2026-03-17T03:00:00+00:00")
    assert len(smtp.messages) == 9
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 9


def test_the_ministry_day_decides_which_round_is_due(app, db, runner, smtp, scene):
    # 16:59 UTC on 6 March is 23:59 on 6 March in Hà Nội: four days before, no round.
    send_due(runner, "2026-03-06T16:59:00+00:00")
    assert smtp.messages == []
    # One minute later it is 7 March in Hà Nội: three days before.
    send_due(runner, "2026-03-06T17:00:00+00:00")
    assert len(smtp.messages) == 3


def test_emails_are_in_the_members_language_with_text_and_html(app, db, runner, smtp, scene):
    send_due(runner, "2026-03-07T02:00:00+00:00")
    title = "Kèm cặp số › Bài A"
    for user, language in ((scene["an"], "vi"), (scene["binh"], "en"), (scene["minjun"], "ko")):
        [message] = smtp.to(user.email)
        assert message["Content-Language"] == language
        subject = translated(language, "Reminder: “%(title)s” is due on %(date)s",
                             title=title, date="X").split("X")[0]
        assert message["Subject"].startswith(subject.strip())
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        greeting = translated(language, "Hello %(name)s,", name=user.full_name)
        assert greeting in text
        body = translated_plural(
            language, "“%(title)s”, assigned to you in the group %(group)s, is due in %(num)d "
            "day, on %(date)s.", "“%(title)s”, assigned to you in the group %(group)s, is due "
            "in %(num)d days, on %(date)s.", 3, title=title, group="Chi đoàn thử nghiệm",
            date="X").split("X")[0]
        assert body in text
        assert f'<html lang="{language}">' in html
        assert f'<span lang="vi">{title}</span>' in html  # the course's language, marked
        assert "<span" not in text
        # The link goes to the lesson, under the configured base URL.
        assert f"{app.config['BASE_URL']}/courses/{steps.SLUG}/lessons/a" in text
        assert f'href="{app.config["BASE_URL"]}/courses/{steps.SLUG}/lessons/a"' in html
    assert "ngày 10 tháng 3 năm 2026" in smtp.to("an@mofa.test")[0]["Subject"]
    assert "March 10, 2026" in smtp.to("binh@mofa.test")[0]["Subject"]


def test_the_member_sees_the_reminder_in_the_app(app, db, runner, smtp, scene):
    send_due(runner, "2026-03-11T02:00:00+00:00")
    page = new_client(app, scene["binh"]).get("/")
    # on her English page, the Vietnamese title is marked as Vietnamese
    assert translated_plural(
        "en", "“%(title)s” (group %(group)s) was due %(num)d day ago, on %(date)s, and is not "
        "finished yet.", "“%(title)s” (group %(group)s) was due %(num)d days ago, on "
        "%(date)s, and is not finished yet.", 1,
        title='<span lang="vi">Kèm cặp số › Bài A</span>', group="Chi đoàn thử nghiệm",
        date="March 10, 2026") in page.data.decode()
    assert f'href="/courses/{steps.SLUG}/lessons/a"' in page.data.decode()


def test_without_smtp_email_is_skipped_with_a_log_line(app, db, runner, scene, monkeypatch,
                                                        caplog):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    with caplog.at_level(logging.INFO, logger="hocso.mail"):
        result = send_due(runner, "2026-03-07T02:00:00+00:00")
    assert "3 skipped" in result.output
    assert any("SMTP is not configured" in r.getMessage() for r in caplog.records)
    assert len(notifications_of(db, scene["an"], "assignment_due_soon")) == 1


def test_an_smtp_server_that_is_down_is_logged_not_raised(app, db, runner, scene,
                                                          monkeypatch, caplog):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", _free_port())  # nobody listens there
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 2)
    with caplog.at_level(logging.WARNING, logger="hocso.mail"):
        result = send_due(runner, "2026-03-07T02:00:00+00:00")
    assert "3 failed" in result.output
    assert any("Email failed" in r.getMessage() for r in caplog.records)
    # The in-app reminders stay, and are not sent again.
    assert len(notifications_of(db, scene["an"], "assignment_due_soon")) == 1
    send_due(runner, "2026-03-07T05:00:00+00:00")
    assert len(notifications_of(db, scene["an"], "assignment_due_soon")) == 1


def test_parallel_runs_send_each_reminder_once(app, db, smtp, scene):
    from learning.campaigns.cli import send_due as command

    errors = []

    def run():
        try:
            with app.app_context():
                runner = app.test_cli_runner()
                result = runner.invoke(command, ["--now", "2026-03-07T02:00:00+00:00"])
                assert result.exit_code == 0, result.output
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(m["To"] for m in smtp.messages) == [
        "an@mofa.test", "binh@mofa.test", "minjun@mofa.test"]
    assert len(notifications_of(db, scene["an"])) == 1


# --- nudges ----------------------------------------------------------------------------------

@pytest.fixture
def frozen(monkeypatch):
    moment = {"now": at("2026-03-11 02:00")}  # 11 March in Hà Nội: the lesson is overdue
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return moment


def test_a_mentor_sees_who_is_behind_and_nudges_them(app, db, smtp, scene, frozen):
    group, assignment = scene["group"], scene["assignment"]
    browser = new_client(app, scene["mentor"])
    page = browser.get(f"/mentoring/groups/{group.id}")
    html = page.data.decode()
    assert translated("vi", "Nudge those behind (%(num)s)", num=3) in visible_text(page)
    assert f'name="assignment_id" value="{assignment.id}"' in html

    done = browser.post(f"/mentoring/groups/{group.id}/nudge",
                        data={"assignment_id": assignment.id})
    assert done.status_code == 302
    assert translated_plural("vi", "%(num)d reminder sent.", "%(num)d reminders sent.", 3) \
        in visible_text(browser.get(done.headers["Location"]))
    assert sorted(m["To"] for m in smtp.messages) == [
        "an@mofa.test", "binh@mofa.test", "minjun@mofa.test"]
    [nudge] = notifications_of(db, scene["binh"], "assignment_nudge")
    assert nudge.params["mentor"] == "Phạm Đức Anh"
    assert "Phạm Đức Anh" in smtp.to("binh@mofa.test")[0]["Subject"]

    # A double click, or another nudge the same day: nobody gets a second one.
    again = browser.post(f"/mentoring/groups/{group.id}/nudge",
                         data={"assignment_id": assignment.id})
    assert again.status_code == 302
    assert translated_plural("vi", "%(num)d was already reminded today.",
                             "%(num)d were already reminded today.", 3) \
        in visible_text(browser.get(again.headers["Location"]))
    assert len(smtp.messages) == 3
    # The next day, one member on their own.
    frozen["now"] = at("2026-03-12 02:00")
    browser = new_client(app, scene["mentor"])  # signed in anew: a day has passed
    one = browser.post(f"/mentoring/groups/{group.id}/nudge", data={"user_id": scene["an"].id})
    assert one.status_code == 302
    assert [m["To"] for m in smtp.messages[3:]] == ["an@mofa.test"]
    assert len(notifications_of(db, scene["an"], "assignment_nudge")) == 2


def test_nudge_rights_and_csrf(app, db, smtp, scene, frozen):
    group, assignment = scene["group"], scene["assignment"]
    url = f"/mentoring/groups/{group.id}/nudge"
    other_mentor = steps.official("Hoàng Văn Nam", roles=("mentor", "learner"))
    db.session.commit()
    assert new_client(app, other_mentor).post(
        url, data={"assignment_id": assignment.id}).status_code == 404
    assert new_client(app, scene["an"]).post(
        url, data={"assignment_id": assignment.id}).status_code == 403
    mentor = new_client(app, scene["mentor"])
    assert mentor.post(url, data={"assignment_id": assignment.id},
                       csrf=False).status_code == 400
    assert mentor.post(url, data={}).status_code == 400  # neither an assignment nor a member
    assert mentor.post(url, data={"assignment_id": "99999999999999999999"}).status_code == 400
    assert mentor.post(url, data={"assignment_id": 987654}).status_code == 404
    assert mentor.post(url, data={"user_id": other_mentor.id}).status_code == 404
    assert mentor.get(url).status_code == 405
    assert smtp.messages == []
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 0


def test_a_nudge_with_the_smtp_server_down_still_notifies(app, db, scene, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", _free_port())  # nobody listens there
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 2)
    scene["minjun"].is_active_account = False  # deactivated: no reminder
    db.session.commit()
    browser = new_client(app, scene["mentor"])
    done = browser.post(f"/mentoring/groups/{scene['group'].id}/nudge",
                        data={"assignment_id": scene["assignment"].id})
    assert done.status_code == 302
    assert len(notifications_of(db, scene["an"], "assignment_nudge")) == 1
    assert len(notifications_of(db, scene["binh"], "assignment_nudge")) == 1
    assert notifications_of(db, scene["minjun"]) == []
    assert notifications_of(db, scene["huong"]) == []  # done: not behind
