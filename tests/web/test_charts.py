"""The dashboard's inline SVG progress chart."""

import re
from datetime import date, timedelta

from service.milestones.stats import ProgressPoint
from service.web.charts import progress_chart


def _labels(svg: str) -> list[str]:
    return re.findall(r'font-size="11" fill="#6b7480">(\d{2,4}-\d{2})</text>', svg)


def _course(start: date, days: int, points: int) -> list[ProgressPoint]:
    return [ProgressPoint(start + timedelta(days=round(days * i / (points - 1))), 10 * i, 5 * i) for i in range(points)]


def test_a_short_course_is_labelled_in_days_without_repeats():
    svg = progress_chart(_course(date(2026, 11, 19), 2, 3))
    assert _labels(svg) == ["11-19", "11-20", "11-21"]


def test_a_long_course_is_labelled_in_months_and_ends_on_its_last_point():
    svg = progress_chart(_course(date(2026, 1, 1), 330, 12))
    labels = _labels(svg)
    assert labels[0] == "2026-01" and labels[-1] == "2026-11"
    assert len(labels) == len(set(labels)) <= 12
    # The last label is anchored at its end so that it is not cut off at the edge.
    assert re.search(r'text-anchor="end" font-size="11" fill="#6b7480">2026-11<', svg)
