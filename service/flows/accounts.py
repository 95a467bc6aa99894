"""Accounts for many units at once: from the office's list of contacts (.xlsx),
or one account for every unit that has none. Initial passwords are generated,
returned once for handing out and never stored in clear; every account must
change its password at first login.
"""

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.auth.models import ROLE_ADMIN, ROLE_DEPARTMENT, ROLE_LEADER, User
from service.auth.service import create_user
from service.departments.service import valid_email, valid_mobile
from service.departments.models import KIND_GROUP, Department
from service.departments.service import name_index, normalize_name, update_department
from service.errors import Invalid
from service.pinyin import initials

MAX_ACCOUNT_ROWS = 1000
MAX_ACCOUNT_FILE_BYTES = 2 * 1024 * 1024
# Shown in a refusal: enough to fix a file, not a wall of text.
MAX_ROW_ERRORS = 20
# No 0/O, 1/l/I: the password is read off paper and typed.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 12

_COLUMNS = {
    "unit": ("单位", "单位名称", "所属单位", "部门", "部门名称"),
    "name": ("姓名", "联系人", "名字"),
    "mobile": ("手机", "手机号", "手机号码", "联系电话", "电话"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "e-mail", "email", "邮件"),
    "role": ("角色", "账号类型", "用户类型"),
    "username": ("用户名", "账号", "登录名"),
}
_ROLE_WORDS = {
    "": ROLE_DEPARTMENT, "单位": ROLE_DEPARTMENT, "单位用户": ROLE_DEPARTMENT, "联络员": ROLE_DEPARTMENT,
    "管理员": ROLE_ADMIN, "办公室管理员": ROLE_ADMIN, "领导": ROLE_LEADER, "领导（只读）": ROLE_LEADER,
    "department": ROLE_DEPARTMENT, "admin": ROLE_ADMIN, "leader": ROLE_LEADER,
}
ROLE_NAMES = {ROLE_DEPARTMENT: "单位用户", ROLE_ADMIN: "办公室管理员", ROLE_LEADER: "领导（只读）"}
HANDOUT_HEADER = ("单位", "姓名", "角色", "用户名", "初始密码")


@dataclass(frozen=True)
class IssuedAccount:
    unit: str
    name: str
    role: str
    username: str
    password: str


def generate_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


class _Usernames:
    """Readable usernames (unit and person initials), unique across the instance."""

    def __init__(self, session: Session):
        self.taken = {u.lower() for u in session.scalars(select(User.username))}

    def free(self, wanted: str) -> bool:
        return wanted.lower() not in self.taken

    def claim(self, username: str) -> str:
        self.taken.add(username.lower())
        return username

    def make(self, *parts: str) -> str:
        base = "_".join(initials(p) for p in parts if p) or "user"
        candidate, number = base, 1
        while not self.free(candidate):
            number += 1
            candidate = f"{base}{number}"
        return self.claim(candidate)


def _units_with_accounts(session: Session, office_id: int) -> set[int]:
    return set(
        session.scalars(
            select(User.department_id).where(
                User.office_id == office_id, User.role == ROLE_DEPARTMENT, User.active.is_(True)
            )
        )
    )


def units_without_account(session: Session, office_id: int) -> list[Department]:
    """The office's confirmed units (not groups) without an active department account."""
    having = _units_with_accounts(session, office_id)
    units = session.scalars(
        select(Department)
        .where(Department.office_id == office_id, Department.confirmed.is_(True), Department.kind != KIND_GROUP)
        .order_by(Department.id)
    ).all()
    return [u for u in units if u.id not in having]


def create_unit_accounts(session: Session, actor: Actor, *, now: datetime) -> list[IssuedAccount]:
    """One department account for every unit of the office that has none."""
    actor.require_admin()
    usernames = _Usernames(session)
    issued = []
    for unit in units_without_account(session, actor.office_id):
        password = generate_password()
        user = create_user(
            session, actor, username=usernames.make(unit.name), password=password, role=ROLE_DEPARTMENT,
            department_id=unit.id, display_name=unit.name, now=now,
        )
        issued.append(IssuedAccount(unit.name, unit.name, ROLE_DEPARTMENT, user.username, password))
    if not issued:
        raise Invalid("每个单位都已有账号，没有需要新建的账号")
    return issued


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a mobile number typed into a number cell
    return normalize_name("" if value is None else str(value))


def _read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number as Excel shows it, {column key: text}) of the first sheet."""
    if len(data) > MAX_ACCOUNT_FILE_BYTES:
        raise Invalid(f"文件太大：上限为 {MAX_ACCOUNT_FILE_BYTES // (1024 * 1024)} MB")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a file that is not .xlsx
        raise Invalid("无法读取文件：请上传 Excel 工作簿（.xlsx）") from None
    try:
        sheet = workbook.worksheets[0]
        header_keys: dict[int, str] = {}
        rows: list[tuple[int, dict[str, str]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            texts = [_cell(v) for v in values]
            if not header_keys:
                header_keys = {
                    index: key
                    for index, text in enumerate(texts)
                    for key, words in _COLUMNS.items()
                    if text.lower() in words
                }
                if header_keys and "name" not in header_keys.values():
                    raise Invalid(f"第 {number} 行是表头，但没有“姓名”列")
                continue
            if not any(texts):
                continue
            if len(rows) >= MAX_ACCOUNT_ROWS:
                raise Invalid(f"行数太多：一次最多导入 {MAX_ACCOUNT_ROWS} 个账号")
            rows.append((number, {key: texts[i] if i < len(texts) else "" for i, key in header_keys.items()}))
    finally:
        workbook.close()
    if not header_keys:
        raise Invalid("没有找到表头：第一行应包含 单位、姓名、手机、邮箱、角色 等列")
    if not rows:
        raise Invalid("表格中没有账号数据")
    return rows


@dataclass
class _Row:
    number: int
    unit: Department | None
    name: str
    role: str
    username: str | None
    mobile: str
    email: str


def _check_row(
    number: int, row: dict[str, str], units: dict[str, Department], usernames: _Usernames
) -> tuple[_Row | None, list[str]]:
    problems = []
    name = row.get("name", "")
    if not name:
        problems.append("姓名不能为空")
    role = _ROLE_WORDS.get(row.get("role", "").lower())
    if role is None:
        problems.append(f"角色“{row['role']}”无法识别（应为 单位用户、办公室管理员 或 领导）")
    unit = None
    if row.get("unit"):
        unit = units.get(row["unit"])
        if unit is None:
            problems.append(f"单位“{row['unit']}”不在单位名录中（请先在单位名录中添加或确认）")
    elif role == ROLE_DEPARTMENT:
        problems.append("单位用户必须填写单位")
    mobile = row.get("mobile", "").replace(" ", "").replace("-", "")
    email = row.get("email", "")
    for value, check in ((mobile, valid_mobile), (email, valid_email)):
        try:
            if value:
                check(value)
        except Invalid as error:
            problems.append(error.message)
    username = row.get("username") or None
    if username is not None:
        if not usernames.free(username):
            problems.append(f"用户名“{username}”已被使用")
        else:
            usernames.claim(username)
    if problems:
        return None, [f"第 {number} 行：{'；'.join(problems)}"]
    return _Row(number, unit, name, role, username, mobile, email), []


def _add_contacts(session: Session, actor: Actor, unit: Department, mobile: str, email: str, now: datetime) -> None:
    """The person's mobile and e-mail become the unit's contacts, where notifications go."""
    values = {}
    if mobile and mobile not in (unit.mobiles or []):
        values["mobiles"] = [*(unit.mobiles or []), mobile]
    if email and email.lower() not in {e.lower() for e in unit.emails or []}:
        values["emails"] = [*(unit.emails or []), email]
    if values:
        update_department(session, actor, unit.id, values, now=now)


def import_accounts(session: Session, actor: Actor, data: bytes, *, now: datetime) -> list[IssuedAccount]:
    """Accounts from an .xlsx of 单位, 姓名, 手机, 邮箱, 角色 (and optionally 用户名).

    All or nothing: any bad row refuses the whole file, naming every bad row.
    A person's mobile and e-mail are added to the unit's contacts.
    """
    actor.require_admin()
    rows = _read_rows(data)
    units = {
        name: d for name, d in name_index(session, actor.office_id).items() if d.confirmed
    }
    usernames = _Usernames(session)
    checked, problems = [], []
    for number, row in rows:
        good, bad = _check_row(number, row, units, usernames)
        problems += bad
        if good is not None:
            checked.append(good)
    if problems:
        shown = problems[:MAX_ROW_ERRORS]
        more = f"；另有 {len(problems) - len(shown)} 行有误" if len(problems) > len(shown) else ""
        raise Invalid(f"没有导入任何账号，请改正后重新上传：{'；'.join(shown)}{more}")
    issued = []
    for row in checked:
        username = row.username or usernames.make(row.unit.name if row.unit else "", row.name)
        password = generate_password()
        create_user(
            session, actor, username=username, password=password, role=row.role,
            department_id=row.unit.id if row.role == ROLE_DEPARTMENT else None, display_name=row.name, now=now,
        )
        if row.unit is not None:
            _add_contacts(session, actor, row.unit, row.mobile, row.email, now)
        issued.append(IssuedAccount(row.unit.name if row.unit else "", row.name, row.role, username, password))
    return issued


def handout_rows(issued: list[IssuedAccount]) -> list[tuple[str, ...]]:
    return [(a.unit, a.name, ROLE_NAMES.get(a.role, a.role), a.username, a.password) for a in issued]


def handout_xlsx(issued: list[IssuedAccount], login_url: str) -> bytes:
    """The sheet the office prints or sends out, one account a row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "账号"
    sheet.append(HANDOUT_HEADER)
    for row in handout_rows(issued):
        sheet.append(row)
    sheet.append(())
    sheet.append((f"登录地址：{login_url}；首次登录后须修改初始密码。",))
    for column, width in zip("ABCDE", (28, 12, 14, 18, 16), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def handout_csv(issued: list[IssuedAccount]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HANDOUT_HEADER)
    writer.writerows(handout_rows(issued))
    # UTF-8 with a BOM: Excel on Windows opens it with the Chinese intact.
    return out.getvalue().encode("utf-8-sig")
