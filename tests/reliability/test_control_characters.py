"""Invisible control characters: refused in every text a request carries, the
same way on SQLite and PostgreSQL, with a message naming the field; dropped
from uploaded plan files; tab and line breaks kept where text is multi-line."""

import re
from typing import Annotated, get_args, get_origin

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import select

from service.plans.models import Plan
from service.routes import api_router
from service.text import Line, Text
from tests.factories import simple_plan
from tests.plans.conftest import seed_path

MULTI_LINE = "一、已完成调研：\n\t1. 走访企业12家；\r\n\t2. 起草《实施方案》初稿。\n二、下一步：征求意见。"


def _milestone(client, world) -> int:
    return client.get("/api/v1/milestones", headers=world.headers("ip_user")).json()["items"][0]["id"]


def _draft_measure(client, world) -> tuple[int, int]:
    created = client.post("/api/v1/plans", headers=world.headers("city_admin"), json=simple_plan("市知识产权局", []))
    plan_id = created.json()["id"]
    plan = client.get(f"/api/v1/plans/{plan_id}", headers=world.headers("city_admin")).json()
    return plan_id, plan["tasks"][0]["measures"][0]["id"]


def _nested_plan(bad: str) -> dict:
    plan = simple_plan("市知识产权局", [])
    plan["tasks"][0]["measures"][0]["text"] = f"措施{bad}。"
    return plan


# (name, user, method, path, body with {bad} where the character goes, the field the message names)
CASES = [
    ("create department", "city_admin", "post", "/api/v1/departments", lambda bad: {"name": f"市{bad}局"}, "name"),
    ("department head", "city_admin", "post", "/api/v1/departments",
     lambda bad: {"name": "市统计局", "head": {"name": f"张{bad}三"}}, "head.name"),
    ("report progress", "ip_user", "post", "/api/v1/milestones/{milestone}/reports",
     lambda bad: {"text": f"进展{bad}", "percent": 50}, "text"),
    ("extension reason", "ip_user", "post", "/api/v1/milestones/{milestone}/extension-requests",
     lambda bad: {"new_due_date": "2027-03-31", "reason": f"原因{bad}"}, "reason"),
    ("plan import of pasted text", "city_admin", "post", "/api/v1/plans/import",
     lambda bad: {"text": seed_path("003").read_text(encoding="utf-8").replace("探索", f"探{bad}索")}, "text"),
    ("plan with a bad measure", "city_admin", "post", "/api/v1/plans", _nested_plan, "tasks.0.measures.0.text"),
    ("user create", "city_admin", "post", "/api/v1/users",
     lambda bad: {"username": f"zhang{bad}", "password": "long-enough-1", "role": "leader"}, "username"),
    ("user password", "city_admin", "post", "/api/v1/users",
     lambda bad: {"username": "zhang", "password": f"long-enough{bad}1", "role": "leader"}, "password"),
    ("channel create", "city_admin", "post", "/api/v1/departments/{ip}/channels",
     lambda bad: {"type": "wecom", "target": f"robot-key{bad}"}, "target"),
    ("channel mention", "city_admin", "post", "/api/v1/departments/{ip}/channels",
     lambda bad: {"type": "wecom", "target": "robot-key", "mentions": [f"1380013{bad}8000"]}, "mentions.0"),
    ("measure edit", "city_admin", "patch", "/api/v1/plans/{draft}/measures/{measure}",
     lambda bad: {"text": f"修改后的措施{bad}"}, "text"),
    ("department mapping name", "city_admin", "post", "/api/v1/plans/{draft}/department-mapping",
     lambda bad: {"mapping": {f"市{bad}局": None}}, "mapping"),
]


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x7f"], ids=["NUL", "BEL", "DEL"])
@pytest.mark.parametrize("name,user,method,path,body,field", CASES, ids=[c[0] for c in CASES])
def test_control_characters_are_a_422_naming_the_field_and_change_nothing(
    client, world, counts, bad, name, user, method, path, body, field
):
    draft, measure = _draft_measure(client, world) if "{draft}" in path else (None, None)
    path = path.format(
        milestone=_milestone(client, world) if "{milestone}" in path else None,
        ip=world.departments["ip"].id, draft=draft, measure=measure,
    )
    before = counts()
    response = getattr(client, method)(path, headers=world.headers(user), json=body(bad))
    assert response.status_code == 422, response.text[:500]
    detail = response.json()["detail"]
    assert f"{field}" in detail and "含有不可见的控制字符" in detail, detail
    assert f"U+{ord(bad):04X}" in detail
    assert counts() == before  # the audit log among them


def test_a_control_character_in_a_login_is_refused_before_any_check(client, world, counts):
    response = client.post("/api/v1/auth/token", json={"username": "city_admin", "password": "x\x07"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("password: 含有不可见的控制字符")


def test_one_line_fields_refuse_tab_and_line_breaks(client, world, counts):
    before = counts()
    for bad in ("\t", "\n", "\r"):
        response = client.post("/api/v1/departments", headers=world.headers("city_admin"), json={"name": f"市{bad}局"})
        assert response.status_code == 422 and response.json()["detail"].startswith("name: "), response.text
    assert counts() == before


def test_multi_line_chinese_text_with_tabs_and_line_breaks_is_kept(client, world):
    milestone = _milestone(client, world)
    report = client.post(
        f"/api/v1/milestones/{milestone}/reports", headers=world.headers("ip_user"), json={"text": MULTI_LINE, "percent": 40}
    )
    assert report.status_code == 201, report.text
    assert report.json()["text"] == MULTI_LINE
    plan_id, measure = _draft_measure(client, world)
    edited = client.patch(
        f"/api/v1/plans/{plan_id}/measures/{measure}", headers=world.headers("city_admin"), json={"text": MULTI_LINE}
    )
    assert edited.status_code == 200, edited.text
    stored = client.get(f"/api/v1/plans/{plan_id}", headers=world.headers("city_admin")).json()
    assert stored["tasks"][0]["measures"][0]["text"] == MULTI_LINE


def test_an_uploaded_text_file_is_imported_without_its_control_characters(client, world, session_factory):
    text = seed_path("003").read_text(encoding="utf-8")
    noisy = text.replace("探索推進", "探索\x00推\x07進").replace("\n", "\x0c", 3)
    response = client.post(
        "/api/v1/plans/import", files={"file": ("plan.txt", noisy.encode(), "text/plain")},
        headers=world.headers("city_admin"),
    )
    assert response.status_code == 201, response.text
    plan = client.get(f"/api/v1/plans/{response.json()['plan']['id']}", headers=world.headers("city_admin")).json()
    assert plan["tasks"][0]["measures"][0]["text"].startswith("按照國家和省有關文件精神,探索推進知識產權")
    with session_factory() as session:
        source = session.scalar(select(Plan.source_text).where(Plan.id == plan["id"]))
    assert source == text  # the form feeds became the line breaks they stood for


def test_an_uploaded_file_name_with_a_control_character_is_refused(client, world, counts):
    # Written by hand: HTTP clients percent-encode such a character in a file name.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="plan\x07.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + seed_path("003").read_bytes() + b"\r\n--b--\r\n"
    )
    before = counts()
    response = client.post(
        "/api/v1/plans/import", content=body,
        headers={**world.headers("city_admin"), "content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 422
    assert "file 的文件名: 含有不可见的控制字符" in response.json()["detail"]
    assert counts() == before


def test_the_signed_link_report_form_is_checked_before_its_link(client, counts):
    before = counts()
    token = re.findall(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[-1]
    response = client.post("/m/not-a-link/report", data={"text": "进展\x07", "percent": "50", "csrf_token": token})
    assert response.status_code == 422
    assert "text: 含有不可见的控制字符（U+0007）" in response.text
    assert counts() == before


# Where the rule lives: every text field of every request body declares Text or Line.
CHECKED = {get_args(kind)[1] for kind in (Text, Line)}


def _unchecked(annotation, metadata, where: str) -> list[str]:
    if annotation is str:
        return [] if CHECKED & set(metadata) else [where]
    if get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        return _unchecked(base, [*metadata, *extra], where)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            found
            for name, field in annotation.model_fields.items()
            for found in _unchecked(field.annotation, field.metadata, f"{annotation.__name__}.{name}")
        ]
    return [found for arg in get_args(annotation) for found in _unchecked(arg, [], where)]


def _api_routes(routes):
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # Newer FastAPI keeps an included router whole instead of copying its routes.
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(router.routes)


def _body_fields(dependant):
    yield from dependant.body_params
    for sub in dependant.dependencies:
        yield from _body_fields(sub)


def test_every_text_field_of_every_request_body_refuses_control_characters():
    unchecked, bodies = [], 0
    # The API; web pages (the signed-link page too) read their forms whole and
    # check them there (service.web.router).
    for route in _api_routes(api_router.routes):
        for field in _body_fields(route.dependant):
            bodies += 1
            where = f"{route.path} {field.name}"
            unchecked += _unchecked(field.field_info.annotation, field.field_info.metadata, where)
    assert bodies > 20
    assert not unchecked, f"plain str in request bodies (use service.text.Text or Line): {unchecked}"
