"""The office's editing forms (directory, channels, reminder policy, links, notices):
what an admin changes, and that department users, leaders and other offices cannot."""

import re

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.delivery.models import Channel
from service.departments.models import Department
from service.reminders.models import ReminderPolicy
from service.reminders.scan import scan
from service.workdays import WorkdayCalendar
from tests.factories import NOW, build_world, milestones_of
from tests.web.test_users import audit_count


def _channel(session, world, key: str | None, audience: str = "department") -> int:
    office = world.offices["other" if key == "sz_ip" else "city"]
    channel = Channel(
        office_id=office.id, department_id=world.departments[key].id if key else None, audience=audience,
        type="wecom", target="robot-key-0001", secret="s3cret-value", mentions=[], enabled=True, created_at=NOW,
    )
    session.add(channel)
    session.commit()
    return channel.id


# (path template, form) for every new state-changing form; {d} a department, {m} another of its office,
# {c} a channel, {p} a plan.
FORMS = [
    ("/departments/{d}", {"name": "改名", "kind": "unit"}),
    ("/departments/{d}/confirm", {}),
    ("/departments/{d}/members", {"member": "{m}"}),
    ("/departments/{d}/channels", {"type": "wecom", "target": "abc123"}),
    ("/channels/{c}", {"target": "robot-key-0002", "secret": "new-secret", "mentions": ""}),
    ("/channels/{c}/enabled", {"enabled": "0"}),
    ("/channels/{c}/delete", {"confirm": "1"}),
    ("/plans/{p}/reminder-policy", {"action": "default"}),
    ("/plans/{p}/links/revoke", {"confirm": "1"}),
]


def _fill(form: dict, ids: dict) -> dict:
    return {key: value.format(**ids) for key, value in form.items()}


@pytest.mark.parametrize("path, form", FORMS)
@pytest.mark.parametrize("username, target, status", [
    ("ip_user", "ip", 403),  # its own department: read-only
    ("city_leader", "ip", 403),
    ("city_admin", "sz_ip", 404),  # another office's object
])
def test_refused_forms_change_nothing(session, client_factory, path, form, username, target, status):
    world = build_world(session)
    plan = world.plans["other" if target == "sz_ip" else "city"]
    ids = {"d": world.departments[target].id, "c": _channel(session, world, target), "p": plan,
           "m": world.departments["dev"].id}
    before = audit_count(session)
    response = client_factory().login(username).submit(path.format(**ids), _fill(form, ids))
    assert response.status_code == status, response.text[:300]
    assert audit_count(session) == before


@pytest.mark.parametrize("path, form", FORMS)
def test_the_admin_changes_and_the_audit_log_grows(session, client_factory, path, form):
    world = build_world(session)
    ids = {"d": world.departments["ip"].id, "c": _channel(session, world, "ip"), "p": world.plans["city"],
           "m": world.departments["dev"].id}
    before = audit_count(session)
    response = client_factory().login("city_admin").submit(path.format(**ids), _fill(form, ids))
    assert response.status_code == 200 and "flash-ok" in response.text, response.text[:500]
    assert audit_count(session) > before


def test_office_and_leader_channels_and_create_department_refusals(session, client_factory):
    world = build_world(session)
    before = audit_count(session)
    for username in ("ip_user", "city_leader"):
        client = client_factory().login(username)
        assert client.submit("/departments", {"name": "新单位"}).status_code == 403
        assert client.submit("/channels", {"audience": "office", "type": "email", "target": "a@b.cn"}).status_code == 403
        assert client.submit(f"/channels/{_channel(session, world, None, 'office')}/test").status_code in (403, 404)
    assert audit_count(session) == before
    admin = client_factory().login("city_admin")
    response = admin.submit("/channels", {"audience": "leader", "type": "email", "target": "leader@gz.gov.cn"}, page="/departments")
    assert "通知渠道已添加" in response.text and "leader@gz.gov.cn" in response.text
    response = admin.submit("/departments", {"name": "市 教育局", "aliases": "教育局、市教委", "emails": "jy@gz.gov.cn"}, page="/departments")
    assert "单位已添加" in response.text and response.url.path.startswith("/departments/")
    session.expire_all()
    created = session.scalars(select(Department).where(Department.name == "市教育局")).one()
    assert created.aliases == ["市教委", "教育局"] and created.emails == ["jy@gz.gov.cn"]
    session.commit()
    response = admin.submit("/departments", {"name": "市教育局"}, page="/departments")
    assert "已存在" in response.text


def test_editing_a_department_checks_contacts_and_keeps_the_secret_hidden(session, client_factory):
    world = build_world(session)
    ip = world.departments["ip"].id
    page = f"/departments/{ip}"
    admin = client_factory().login("city_admin")
    response = admin.submit(page, {"name": "市知识产权局", "kind": "unit", "emails": "bad-address"}, page=page)
    assert "邮箱地址格式不正确" in response.text
    response = admin.submit(page, {
        "name": "市知识产权局", "kind": "unit", "emails": "a@gz.gov.cn\nb@gz.gov.cn", "mobiles": "13800000000",
        "head_name": "李四", "head_email": "li@gz.gov.cn", "head_mobile": "13900000000", "aliases": "知识产权局",
    }, page=page)
    assert "单位信息已保存" in response.text
    response = admin.submit(f"{page}/channels", {"type": "webhook", "target": "http://evil.example/x"}, page=page)
    assert "不在允许列表" in response.text
    response = admin.submit(f"{page}/channels", {"type": "wecom", "target": "key-abcdef123456", "secret": "top-secret-1", "mentions": "13800000000"}, page=page)
    assert "密钥：已设置" in response.text and "top-secret-1" not in response.text and "key-abcdef123456" not in response.text
    session.expire_all()
    department = session.get(Department, ip)
    assert department.emails == ["a@gz.gov.cn", "b@gz.gov.cn"] and department.head_mobile == "13900000000"
    session.commit()
    # A department user sees its own department read-only, another department not at all.
    user = client_factory().login("ip_user")
    text = user.get(page).text
    assert "李四" in text and f'action="/departments/{ip}"' not in text and "添加通知渠道" not in text
    assert user.get(f"/departments/{world.departments['dev'].id}").status_code == 404


def test_editing_a_channel_keeps_blank_fields_and_never_shows_the_secret(session, client_factory):
    world = build_world(session)
    ip = world.departments["ip"].id
    channel_id = _channel(session, world, "ip")
    page = f"/departments/{ip}"
    admin = client_factory().login("city_admin")

    def stored():
        session.expire_all()
        channel = session.get(Channel, channel_id)
        values = (channel.target, channel.secret, channel.mentions)
        session.commit()
        return values

    text = admin.get(page).text
    assert f'action="/channels/{channel_id}"' in text and "key …0001（留空则不变）" in text
    assert "robot-key-0001" not in text and "s3cret-value" not in text
    before, audits = stored(), audit_count(session)
    for bad, message in [
        ({"target": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"}, "只填写 key"),
        ({"mentions": "13800000000，call-me"}, "手机号格式不正确"),
    ]:
        response = admin.submit(f"/channels/{channel_id}", bad, page=page)
        # Shown again as typed, the reason beside the field (tests/web/test_refused_forms.py).
        assert response.status_code == 422 and "field-error" in response.text and message in response.text
        assert "s3cret-value" not in response.text and "robot-key-0001" not in response.text
        assert stored() == before and audit_count(session) == audits

    response = admin.submit(f"/channels/{channel_id}", {"target": "robot-key-0002", "secret": "rotated-secret",
                                                        "mentions": "13800000000、13900000000"}, page=page)
    assert "渠道已保存" in response.text and "key …0002" in response.text and "密钥：已设置" in response.text
    assert "robot-key-0002" not in response.text and "rotated-secret" not in response.text
    assert stored() == ("robot-key-0002", "rotated-secret", ["13800000000", "13900000000"])
    # Blank target and secret keep what is stored; the mentions field holds the current ones.
    assert 'value="13800000000，13900000000"' in response.text
    admin.submit(f"/channels/{channel_id}", {"target": "", "secret": "", "mentions": "13800000000"}, page=page)
    assert stored() == ("robot-key-0002", "rotated-secret", ["13800000000"])
    response = admin.submit(f"/channels/{channel_id}", {"mentions": "13800000000", "clear_secret": "1"}, page=page)
    assert "密钥：已设置" not in response.text and stored() == ("robot-key-0002", None, ["13800000000"])
    trail = session.scalars(select(AuditEvent).where(AuditEvent.action == "channel.update").order_by(AuditEvent.id)).all()
    assert [e.after for e in trail] == [
        {"target": "key …0002", "mentions": ["13800000000", "13900000000"], "has_secret": True, "secret_changed": True},
        {"mentions": ["13800000000"]},
        {"has_secret": False, "secret_changed": True},
    ]
    assert not any(s in str(e.before) + str(e.after) for e in trail for s in ("s3cret-value", "rotated-secret"))
    session.commit()

    # The department sees its channel but no form to change it.
    text = client_factory().login("ip_user").get(page).text
    assert "key …0002" in text and f'action="/channels/{channel_id}"' not in text


def test_policy_form_saves_explains_errors_restores_default_and_revokes_links(session, client_factory):
    world = build_world(session)
    plan = world.plans["city"]
    page = f"/plans/{plan}/reminder-policy"
    admin = client_factory().login("city_admin")
    form = {
        "step-0-side": "before", "step-0-count": "5", "step-0-unit": "workdays", "step-0-level": "blue",
        "step-0-audience": "department",
        "step-1-side": "after", "step-1-count": "2", "step-1-unit": "days", "step-1-level": "red",
        "step-1-audience": ["department", "leader"], "step-1-channel": "wecom", "step-1-repeat": "3",
        "early-on": "1", "early-share": "25", "early-audience": "department", "link_reporting": "1",
    }
    response = admin.submit(page, form, page=page)
    assert "催办规则已保存" in response.text and "本计划自定义规则" in response.text
    session.expire_all()
    row = session.get(ReminderPolicy, plan)
    assert [s["offset"] for s in row.policy["steps"]] == [-5, 2] and row.policy["steps"][1]["channels"] == ["wecom"]
    assert row.policy["early_warning"]["share"] == 0.25 and row.policy["unacknowledged"] is None and row.link_reporting
    session.commit()
    for bad, message in [
        ({"step-0-count": "五"}, "第 1 步的天数必须是整数"),
        ({"step-0-repeat": "2"}, "只有最后一步"),
        ({"step-1-side": "before", "step-1-count": "5", "step-1-unit": "workdays"}, "同一天"),
        ({"step-0-audience": []}, "第 1 步的发送对象 至少要选择一个"),
        ({"step-0-side": "", "step-1-side": ""}, "至少需要一步"),
        ({"early-share": "150"}, "1% 到 99%"),
    ]:
        response = admin.submit(page, form | bad, page=page)
        assert message in response.text, (bad, response.text[:2000])
    response = admin.submit(page, {"action": "default"}, page=page)
    assert "已恢复默认催办规则" in response.text and "使用默认规则" in response.text
    session.expire_all()
    assert session.get(ReminderPolicy, plan).policy is None and session.get(ReminderPolicy, plan).link_reporting
    session.commit()
    response = admin.submit(f"/plans/{plan}/links/revoke", page=page)
    assert "请勾选确认后再撤销链接" in response.text and "当前第 1 版" in response.text
    response = admin.submit(f"/plans/{plan}/links/revoke", {"confirm": "1"}, page=page)
    assert "当前第 2 版" in response.text


def _field(html: str, name: str) -> str | list[str]:
    """What the browser would submit for one field of a page: an input's value,
    a select's chosen option, or the ticked values of a checkbox group."""
    if select := re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.findall(r'<option value="([^"]*)"\s*selected', select.group(1))
        return chosen[0] if chosen else re.search(r'<option value="([^"]*)"', select.group(1)).group(1)
    boxes = re.findall(rf'<input type="checkbox" name="{name}" value="([^"]*)"\s*(checked)?', html)
    if boxes:
        return [value for value, checked in boxes if checked]
    return re.search(rf'<input name="{name}"[^>]*value="([^"]*)"', html).group(1)


def test_a_refused_policy_form_comes_back_with_the_users_edits(session, client_factory):
    world = build_world(session)
    plan = world.plans["city"]
    page = f"/plans/{plan}/reminder-policy"
    admin = client_factory().login("city_admin")
    stored = client_factory().login("city_admin").get(page).text
    before = audit_count(session)
    # Edits all over the form, and one slip: a count in words. Checkbox groups are lists.
    form = {
        "step-0-side": "before", "step-0-count": "五", "step-0-unit": "days", "step-0-level": "yellow",
        "step-0-audience": ["department", "head"], "step-0-channel": ["email", "wecom"],
        "step-1-side": "", "step-1-count": "3", "step-1-unit": "workdays", "step-1-level": "blue",
        "step-1-audience": ["department"],
        "step-7-side": "after", "step-7-count": "12", "step-7-unit": "workdays", "step-7-level": "red",
        "step-7-audience": ["office", "leader"], "step-7-repeat": "6",
        "unack-after_workdays": "4", "unack-audience": ["head"],
        "early-on": ["1"], "early-share": "40", "early-audience": ["department"], "early-channel": ["feishu"],
        "link_reporting": ["1"],
    }
    response = admin.submit(page, form, page=page)
    assert response.status_code == 422
    assert 'id="policy-error"' in response.text and "第 1 步的天数必须是整数，而不是“五”" in response.text
    assert [int(n) for n in re.findall(r'data-step="(\d+)"', response.text)] == [0, 1, 7]
    for name, value in form.items():
        assert _field(response.text, name) == value, name
    for name in ("unack-on", "progress-on", "step-1-channel", "step-7-channel"):
        assert _field(response.text, name) == [], name
    # Nothing was saved.
    assert audit_count(session) == before and session.get(ReminderPolicy, plan) is None
    session.commit()
    assert re.sub(r'value="[^"]{20,}"', "", admin.get(page).text) == re.sub(r'value="[^"]{20,}"', "", stored)

    # Corrected, the same form saves what it showed.
    response = admin.submit(page, form | {"step-0-count": "5"}, page=page)
    assert response.status_code == 200 and "催办规则已保存" in response.text
    session.expire_all()
    saved = session.get(ReminderPolicy, plan).policy
    assert [(s["offset"], s["unit"], s["level"], s["repeat_every"]) for s in saved["steps"]] == [
        (-5, "days", "yellow", None), (12, "workdays", "red", 6)]
    assert saved["unacknowledged"] is None and saved["early_warning"]["share"] == 0.4


def test_milestone_page_lists_the_notices_of_that_milestone_only(session, client_factory, web_settings):
    world = build_world(session)
    milestone = milestones_of(session, world, "ip")[0]
    support = milestones_of(session, world, "dev")[0]
    scan(session, web_settings.model_copy(update={"secret_key": "x"}), WorkdayCalendar(), NOW)
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) > 0
    own = client_factory().login("ip_user").get(f"/milestones/{milestone.id}").text
    assert "催办与通知记录" in own and "交办通知" in own and "ip@example.cn" in own and "dev@example.cn" not in own
    other = client_factory().login("dev_user").get(f"/milestones/{support.id}").text
    assert "dev@example.cn" in other and "ip@example.cn" not in other
    office = client_factory().login("city_admin").get(f"/milestones/{milestone.id}").text
    assert "交办通知" in office and "dev@example.cn" not in office
