"""Accounts for all units in one go: one per unit without one, or from an .xlsx;
generated initial passwords that work once and must be changed; bad rows refuse
the whole file, each named by its row."""

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from service.flows.accounts import (
    MAX_ACCOUNT_ROWS,
    create_unit_accounts,
    handout_csv,
    handout_xlsx,
    import_accounts,
)
from service.auth.models import User
from service.auth.passwords import verify_password
from service.departments.models import KIND_GROUP, Department
from service.errors import Forbidden, Invalid
from tests.factories import NOW


def xlsx(*rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER = ("单位名称", "姓名", "手机号码", "电子邮箱", "角色")


def _users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_one_account_for_every_unit_without_one(session, world):
    admin = world.actor(session, "city_admin")
    new = Department(office_id=admin.office_id, name="市发展改革委员会", created_at=NOW)
    group = Department(office_id=admin.office_id, name="各区政府", kind=KIND_GROUP, created_at=NOW)
    proposed = Department(office_id=admin.office_id, name="市新设局", confirmed=False, created_at=NOW)
    session.add_all([new, group, proposed])
    session.flush()
    issued = create_unit_accounts(session, admin, now=NOW)
    # 市知识产权局 and 市发展改革委 have accounts already; the group and the unconfirmed name get none.
    assert [(a.unit, a.username) for a in issued] == [("市发展改革委员会", "sfzggwyh")]
    user = session.scalars(select(User).where(User.username == "sfzggwyh")).one()
    assert user.department_id == new.id and user.must_change_password and user.role == "department"
    assert verify_password(user.password_hash, issued[0].password) and len(issued[0].password) == 12
    with pytest.raises(Invalid, match="每个单位都已有账号"):
        create_unit_accounts(session, admin, now=NOW)
    with pytest.raises(Forbidden):
        create_unit_accounts(session, world.actor(session, "ip_user"), now=NOW)


def test_usernames_made_of_initials_never_clash(session, world):
    admin = world.actor(session, "city_admin")
    session.add_all([
        Department(office_id=admin.office_id, name="市住建局", created_at=NOW),
        Department(office_id=admin.office_id, name="市质监局", created_at=NOW),
    ])
    session.flush()
    assert sorted(a.username for a in create_unit_accounts(session, admin, now=NOW)) == ["szjj", "szjj2"]


def test_import_from_xlsx_creates_accounts_and_records_contacts(session, world):
    admin = world.actor(session, "city_admin")
    data = xlsx(
        ("市知识产权局机关各单位联络员名单",),  # a title row above the header
        HEADER,
        ("市知识产权局", "张三", 13800138000, "zhangsan@example.cn", "单位用户"),
        ("市发展改革委", "李四", "139-0013-9000", "", None),
        ("", "王五", "", "", "领导"),
    )
    issued = import_accounts(session, admin, data, now=NOW)
    assert [(a.unit, a.name, a.role, a.username) for a in issued] == [
        ("市知识产权局", "张三", "department", "szscqj_zs"),
        ("市发展改革委", "李四", "department", "sfzggw_ls"),
        ("", "王五", "leader", "ww"),
    ]
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(["szscqj_zs", "ww"])))}
    assert users["szscqj_zs"].display_name == "张三" and users["szscqj_zs"].must_change_password
    assert users["ww"].department_id is None and users["ww"].role == "leader"
    ip = session.get(Department, world.departments["ip"].id)
    assert "13800138000" in ip.mobiles and "zhangsan@example.cn" in ip.emails
    assert "13900139000" in session.get(Department, world.departments["dev"].id).mobiles


def test_one_bad_row_refuses_the_file_and_names_every_bad_row(session, world):
    admin = world.actor(session, "city_admin")
    before = _users(session)
    data = xlsx(
        HEADER + ("用户名",),
        ("市知识产权局", "张三", "13800138000", "", "", "city_admin"),
        ("市教育局", "", "abc", "not-an-address", "主任", ""),
        ("", "赵六", "", "", "单位用户", ""),
        ("市知识产权局", "孙七", "", "", "", "szscqj_sq"),
    )
    with pytest.raises(Invalid) as refused:
        import_accounts(session, admin, data, now=NOW)
    message = refused.value.message
    assert message.startswith("没有导入任何账号")
    assert "第 2 行：用户名“city_admin”已被使用" in message
    assert "第 3 行：姓名不能为空；角色“主任”无法识别" in message and "单位“市教育局”不在单位名录中" in message
    assert "手机号格式不正确：abc" in message and "邮箱地址格式不正确：not-an-address" in message
    assert "第 4 行：单位用户必须填写单位" in message and "第 5 行" not in message
    assert _users(session) == before


def test_the_upload_is_bounded(session, world):
    admin = world.actor(session, "city_admin")
    rows = [("市知识产权局", f"人员{i}", "", "", "") for i in range(MAX_ACCOUNT_ROWS + 1)]
    with pytest.raises(Invalid, match=f"一次最多导入 {MAX_ACCOUNT_ROWS} 个账号"):
        import_accounts(session, admin, xlsx(HEADER, *rows), now=NOW)
    with pytest.raises(Invalid, match="文件太大"):
        import_accounts(session, admin, b"x" * (3 * 1024 * 1024), now=NOW)
    with pytest.raises(Invalid, match="请上传 Excel 工作簿"):
        import_accounts(session, admin, b"not a workbook", now=NOW)
    with pytest.raises(Invalid, match="没有找到表头"):
        import_accounts(session, admin, xlsx(("甲", "乙")), now=NOW)


def test_the_handout_holds_what_was_issued(session, world):
    admin = world.actor(session, "city_admin")
    issued = import_accounts(session, admin, xlsx(HEADER, ("市知识产权局", "张三", "", "", "")), now=NOW)
    sheet = load_workbook(io.BytesIO(handout_xlsx(issued, "https://duban.example.cn/login"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("单位", "姓名", "角色", "用户名", "初始密码")
    assert rows[1] == ("市知识产权局", "张三", "单位用户", "szscqj_zs", issued[0].password)
    assert "https://duban.example.cn/login" in rows[-1][0]
    text = handout_csv(issued).decode("utf-8-sig")
    assert text.splitlines()[1] == f"市知识产权局,张三,单位用户,szscqj_zs,{issued[0].password}"
