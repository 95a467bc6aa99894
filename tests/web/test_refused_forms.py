"""No lost input: a refused department or channel form comes back (422) as typed,
with the reason beside it; a secret is not sent back."""

import re

from sqlalchemy import func, select

from service.delivery.models import Channel
from service.milestones.models import ProgressReport
from service.plans.models import Assignment
from tests.factories import NOW, build_world
from tests.milestones.test_assignments import phased_plan


def test_a_refused_department_edit_keeps_the_edits(session, client_factory):
    world = build_world(session)
    department = world.departments["ip"]
    session.commit()
    page = f"/departments/{department.id}"
    admin = client_factory().login("city_admin")
    response = admin.submit(page, {"name": "市知识产权局（新）", "kind": "unit", "emails": "不是邮箱",
                                   "head_name": "张三"}, page=page)
    assert response.status_code == 422
    assert 'value="市知识产权局（新）"' in response.text and 'value="张三"' in response.text
    assert ">不是邮箱</textarea>" in response.text and 'role="alert"' in response.text


def test_a_refused_channel_keeps_what_was_typed_but_the_secret(session, client_factory):
    world = build_world(session)
    department = world.departments["ip"]
    session.commit()
    page = f"/departments/{department.id}"
    admin = client_factory().login("city_admin")
    response = admin.submit(f"{page}/channels", {"type": "wecom", "target": "bad key with spaces", "secret": "s3cret",
                                                 "mentions": "13800000000"}, page=page)
    assert response.status_code == 422
    assert 'value="bad key with spaces"' in response.text and 'value="13800000000"' in response.text
    assert "<details class=\"reveal\" open>" in response.text and "s3cret" not in response.text
    assert '<option value="wecom" selected>' in response.text


def test_a_refused_new_user_keeps_the_form_but_the_password(session, client_factory):
    world = build_world(session)
    department = world.departments["ip"]
    session.commit()
    admin = client_factory().login("city_admin")
    response = admin.submit("/users", {"username": "ip_clerk2", "display_name": "李四", "role": "department",
                                       "department_id": str(department.id), "password": "short"}, page="/users")
    assert response.status_code == 422 and "初始密码不回显" in response.text
    assert 'value="ip_clerk2"' in response.text and 'value="李四"' in response.text
    assert f'<option value="{department.id}" selected>' in response.text and 'value="short"' not in response.text


def _office_channel(session, world, **fields) -> Channel:
    channel = Channel(office_id=world.offices["city"].id, type="wecom", target="office-robot-key", enabled=True,
                      created_at=NOW, **{"audience": "office", "mentions": [], **fields})
    session.add(channel)
    session.commit()
    return channel


def _beside(page: str, field: str) -> str:
    """The refusal shown right after the named field, or '' when there is none."""
    found = re.search(rf'name="{field}"[^>]*>(?:[^<]*</textarea>)?<span class="field-error" role="alert">([^<]+)</span>', page)
    return found.group(1) if found else ""


def test_a_refused_channel_edit_keeps_the_edits_with_the_reason_beside_the_field(session, client_factory):
    world = build_world(session)
    department = world.departments["ip"]
    channel = _office_channel(session, world, audience="department", department_id=department.id,
                              secret="SECkept", mentions=["13800000000"])
    page = f"/departments/{department.id}"
    admin = client_factory().login("city_admin")
    response = admin.submit(f"/channels/{channel.id}", {"target": "new-robot-key", "secret": "SECtyped",
                                                        "mentions": "13900000000，不是手机号"}, page=page)
    assert response.status_code == 422
    assert "手机号格式不正确" in _beside(response.text, "mentions")
    edit = response.text.split(f'action="/channels/{channel.id}"')[1].split("</form>")[0]
    assert 'value="new-robot-key"' in edit and 'value="13900000000，不是手机号"' in edit
    assert "SECtyped" not in response.text and "签名密钥不回显" in edit
    assert '<details class="reveal channel-edit" open>' in response.text
    session.expire_all()
    assert (channel.target, channel.secret, channel.mentions) == ("office-robot-key", "SECkept", ["13800000000"])


def test_a_refused_office_channel_edit_comes_back_on_the_directory(session, client_factory):
    world = build_world(session)
    channel = _office_channel(session, world)
    admin = client_factory().login("city_admin")
    response = admin.submit(f"/channels/{channel.id}", {"target": "a key with spaces", "mentions": "13800000000"},
                            page="/departments")
    assert response.status_code == 422 and "只能包含字母" in _beside(response.text, "target")
    assert 'value="a key with spaces"' in response.text and 'value="13800000000"' in response.text


def test_a_refused_office_channel_keeps_what_was_typed(session, client_factory):
    build_world(session)
    session.commit()
    admin = client_factory().login("city_admin")
    response = admin.submit("/channels", {"audience": "leader", "type": "dingtalk", "target": "bad key!",
                                          "secret": "SECnot-back", "mentions": "13800000000"}, page="/departments")
    assert response.status_code == 422 and "只能包含字母" in _beside(response.text, "target")
    form = response.text.split('action="/channels" class="form-grid"')[1].split("</form>")[0]
    assert '<option value="leader" selected>' in form and '<option value="dingtalk" selected>' in form
    assert 'value="bad key!"' in form and 'value="13800000000"' in form and "SECnot-back" not in response.text


def test_a_refused_new_department_keeps_what_was_typed(session, client_factory):
    build_world(session)
    session.commit()
    admin = client_factory().login("city_admin")
    typed = {"name": "市新设局", "kind": "group", "aliases": "新设局，新局", "emails": "不是邮箱"}
    response = admin.submit("/departments", typed, page="/departments")
    assert response.status_code == 422 and "邮箱地址格式不正确" in _beside(response.text, "emails")
    form = response.text.split('action="/departments" class="form-grid"')[1].split("</form>")[0]
    assert 'value="市新设局"' in form and 'value="新设局，新局"' in form and 'value="不是邮箱"' in form
    assert '<option value="group" selected>' in form
    # A name already taken: the reason beside the name, the rest as typed.
    clash = admin.submit("/departments", typed | {"name": "市知识产权局", "emails": "new@example.gov.cn"}, page="/departments")
    assert clash.status_code == 422 and "已存在" in _beside(clash.text, "name")
    assert 'value="new@example.gov.cn"' in clash.text


def test_a_progress_report_with_a_refused_attachment_keeps_the_text_and_percent(session, client_factory):
    world = build_world(session)
    plan_id = phased_plan(session, world)
    session.commit()
    item = session.scalars(select(Assignment.id).where(
        Assignment.department_id == world.departments["ip"].id, Assignment.measure.has(plan_id=plan_id))).first()
    unit = client_factory().login("ip_user")
    page = f"/assignments/{item}"
    response = unit.submit(f"{page}/progress", {"text": "完成了三场调研", "percent": "45"}, page=page,
                           files=[("attachments", ("宏.exe", b"MZ", "application/octet-stream"))])
    assert response.status_code == 422 and "类型不允许上传" in response.text
    assert ">完成了三场调研</textarea>" in response.text and 'value="45"' in response.text
    assert "附件需重新选择（浏览器不保留已选的 1 个文件）" in response.text
    assert session.scalar(select(func.count()).select_from(ProgressReport)) == 0
