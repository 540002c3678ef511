"""The completions chart's layout (pure): a cumulative step line, the deadline and the target
where they belong, day labels dd/mm, and a data table that adds up."""

from __future__ import annotations

from datetime import date

import pytest

from learning.reports.dashboard import HEIGHT, LEFT, WIDTH, build_chart


def test_a_step_line_against_the_deadline_and_the_target():
    chart = build_chart([(date(2026, 3, 5), 2), (date(2026, 3, 9), 1)], start=date(2026, 3, 1),
                        deadline=date(2026, 3, 31), today=date(2026, 3, 11), target=6)
    assert chart.table == [(date(2026, 3, 5), 2, 2), (date(2026, 3, 9), 1, 3)]
    assert chart.completed == 3 and chart.start == date(2026, 3, 1)
    assert chart.end == date(2026, 3, 31)
    assert chart.deadline_x == chart.right and chart.deadline_label == "31/03"
    assert chart.target_y == chart.top  # the target is the top of the scale
    assert chart.x_ticks[0].label == "01/03" and chart.x_ticks[-1].label == "31/03"
    assert [t.label for t in chart.y_ticks] == ["0", "3", "6"]
    # Up twice, and flat until today (not beyond).
    assert chart.step_path.count("V") == 2
    day = (chart.right - LEFT) / 30
    assert chart.step_path.endswith(f"H{round(LEFT + 10 * day, 1)}")
    assert 0 < chart.today_x < chart.right and chart.width == WIDTH and chart.height == HEIGHT


def test_after_the_deadline_the_chart_runs_to_today_and_late_completions_show():
    chart = build_chart([(date(2026, 4, 3), 1)], start=date(2026, 3, 1),
                        deadline=date(2026, 3, 31), today=date(2026, 4, 10), target=1)
    assert chart.end == date(2026, 4, 10) and chart.deadline_x < chart.right
    assert chart.table == [(date(2026, 4, 3), 1, 1)]


def test_nobody_and_nothing_yet():
    chart = build_chart([], start=date(2026, 3, 1), deadline=date(2026, 3, 1),
                        today=date(2026, 3, 1), target=0)
    assert chart.table == [] and chart.completed == 0
    assert chart.end > chart.start  # never a zero-width scale


@pytest.mark.parametrize("language, label", [("vi", "31/03"), ("en", "3/31"), ("ko", "3. 31.")])
def test_the_days_are_written_the_way_the_page_language_writes_them(language, label):
    chart = build_chart([], start=date(2026, 3, 1), deadline=date(2026, 3, 31),
                        today=date(2026, 3, 10), target=5, language=language)
    assert chart.deadline_label == label
