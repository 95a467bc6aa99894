"""The department calendar feed (.ics) as RFC 5545 text."""

from datetime import date
from types import SimpleNamespace

from service.web.calendar import ics_feed
from tests.factories import NOW


def _milestone(text: str, title: str = "行动计划") -> SimpleNamespace:
    plan = SimpleNamespace(title=title)
    measure = SimpleNamespace(text=text, plan=plan)
    return SimpleNamespace(
        id=7, due_version=1, due_date=date(2026, 12, 31), state="pending",
        assignment=SimpleNamespace(measure=measure), phase=None,
    )


def _unfolded(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def test_bare_cr_and_lf_in_texts_stay_inside_their_property():
    text = "第一条\r伪造:属性\rX-INJECTED:1\n第二行，含;分号,逗号\\反斜杠\r\n第三行" + "长" * 60
    body = ics_feed(SimpleNamespace(name="市知识产权局"), [_milestone(text)], base_url="https://d.test", now=NOW)
    # Every line ends in CRLF; no CR or LF appears anywhere else.
    assert body.endswith("\r\n")
    assert "\r" not in body.replace("\r\n", "") and "\n" not in body.replace("\r\n", "")
    lines = _unfolded(body)
    assert not any(line.startswith("X-INJECTED") for line in lines)
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "第一条\\n伪造:属性\\nX-INJECTED:1\\n第二行，含\\;分号\\,逗号\\\\反斜杠\\n第三行" in description
    # Folded at 75 octets, continuation lines start with a space.
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
