import re
import unicodedata
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifiers.base import InvalidTarget
from notifiers.email import check_address
from service.audit.service import record, snapshot
from service.auth.actor import Actor
from service.departments.models import KIND_GROUP, KIND_UNIT, Department, DepartmentGroupMember
from service.database import lock_for_change, unique_or_conflict
from service.errors import Conflict, Invalid, NotFound
from service.offices.models import Office

EDITABLE_FIELDS = (
    "name", "aliases", "kind", "emails", "mobiles", "head_name", "head_email", "head_mobile", "confirmed",
)


# ASCII digits only: \d would also take full-width and other scripts' digits.
MOBILE = re.compile(r"^\+?[0-9]{5,20}$")


_CHINESE_BRACKETS = str.maketrans("()", "（）")


def normalize_name(name: str) -> str:
    """The one form of a department name or alias, stored and compared.

    Names that look alike are one name: NFKC folds full-width letters and
    compatibility forms, and format characters (Unicode category Cf: zero-width
    space, soft hyphen, right-to-left override, ...) and whitespace are dropped.
    NFKC also turns the full-width brackets of official names into ASCII ones;
    they are turned back, so 市委组织部（市人才办） keeps the form it is written in.
    """
    folded = unicodedata.normalize("NFKC", name).translate(_CHINESE_BRACKETS)
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c) != "Cf")


def valid_email(address: str) -> str:
    """One e-mail address, stripped (the e-mail channel's rule); Invalid for anything else."""
    try:
        return check_address(address)
    except InvalidTarget as exc:
        raise Invalid(str(exc)) from None


def valid_mobile(mobile: str) -> str:
    """One mobile number (digits, optionally a leading +), stripped; Invalid for anything else."""
    mobile = mobile.strip()
    if not MOBILE.match(mobile):
        raise Invalid(f"手机号格式不正确：{mobile}（只填数字，可带开头的 +）")
    return mobile


def get_department(session: Session, actor: Actor, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None or department.office_id not in actor.readable_office_ids:
        raise NotFound(f"单位 {department_id} 不存在")
    if actor.department_id is not None and department.id != actor.department_id:
        raise NotFound(f"单位 {department_id} 不存在")
    return department


def shows_contacts(actor: Actor, department: Department) -> bool:
    """Whether the actor may read the department's contacts (e-mails, mobiles, head):
    a department user only its own department's."""
    return not actor.is_department or department.id == actor.department_id


def name_index(session: Session, office_id: int) -> dict[str, Department]:
    """Every name and alias of the office's departments; a name beats another's alias."""
    departments = session.scalars(select(Department).where(Department.office_id == office_id)).all()
    index = {normalize_name(alias): d for d in reversed(departments) for alias in (d.aliases or [])}
    return index | {normalize_name(d.name): d for d in departments}


def find_department(session: Session, office_id: int, name: str) -> Department | None:
    """Match by exact name, then by alias."""
    return name_index(session, office_id).get(normalize_name(name))


def _name_taken(name: str) -> str:
    return f"单位名称“{name}”已存在"


def _check_unique_name(session: Session, office_id: int, name: str, own_id: int | None = None) -> None:
    clash = session.scalars(
        select(Department.id).where(Department.office_id == office_id, Department.name == name)
    ).first()
    if clash is not None and clash != own_id:
        raise Conflict(_name_taken(name), field="name")


def _validate(values: dict) -> dict:
    if "name" in values:
        values["name"] = normalize_name(values["name"] or "")
        if not values["name"]:
            raise Invalid("单位名称不能为空", field="name")
    if "kind" in values and values["kind"] not in (KIND_UNIT, KIND_GROUP):
        raise Invalid("类型必须是单位或分组", field="kind")
    if "aliases" in values:
        values["aliases"] = sorted({normalize_name(a) for a in values["aliases"] if normalize_name(a)})
    for key, check in (("emails", valid_email), ("mobiles", valid_mobile)):
        if key in values:
            values[key] = list(dict.fromkeys(_checked(key, check, item) for item in values[key] or []))
    for key, check in (("head_email", valid_email), ("head_mobile", valid_mobile)):
        if key in values:
            values[key] = _checked(key, check, values[key]) if (values[key] or "").strip() else None
    return values


def _checked(field: str, check, value: str) -> str:
    """A value checked by its rule, a refusal naming the field the value came from."""
    try:
        return check(value)
    except Invalid as exc:
        raise Invalid(exc.message, field=field) from None


def create_department(session: Session, actor: Actor, values: dict, *, now: datetime) -> Department:
    actor.require_admin()
    values = _validate(dict(values))
    if "name" not in values:
        raise Invalid("单位名称不能为空", field="name")
    _check_unique_name(session, actor.office_id, values["name"])
    department = Department(office_id=actor.office_id, **values, created_at=now)
    with unique_or_conflict(session, _name_taken(values["name"])):
        session.add(department)
    record(
        session, actor, "department.create", "department", department.id,
        after=snapshot(department, *EDITABLE_FIELDS), now=now,
    )
    return department


def update_department(
    session: Session, actor: Actor, department_id: int, values: dict, *, now: datetime
) -> Department:
    department = get_department(session, actor, department_id)
    actor.require_admin_of(department.office_id)
    values = _validate(dict(values))
    if "name" in values:
        _check_unique_name(session, department.office_id, values["name"], department.id)
    before = snapshot(department, *EDITABLE_FIELDS)
    with unique_or_conflict(session, _name_taken(values.get("name", department.name))):
        for key, value in values.items():
            setattr(department, key, value)
    record(
        session, actor, "department.update", "department", department.id,
        before=before, after=snapshot(department, *EDITABLE_FIELDS), now=now,
    )
    return department


def set_group_members(
    session: Session, actor: Actor, group_id: int, member_ids: list[int], *, now: datetime
) -> Department:
    group = get_department(session, actor, group_id)
    actor.require_admin_of(group.office_id)
    members = [get_department(session, actor, member_id) for member_id in member_ids]
    if any(m.id == group.id or m.office_id != group.office_id for m in members):
        raise Invalid("分组成员必须是本办公室的其他单位")
    before = {"members": group_member_ids(session, group.id)}
    group.kind = KIND_GROUP
    session.query(DepartmentGroupMember).filter_by(group_id=group.id).delete()
    session.add_all(DepartmentGroupMember(group_id=group.id, member_id=m.id) for m in members)
    record(
        session, actor, "department.group_members", "department", group.id,
        before=before, after={"members": sorted(m.id for m in members)}, now=now,
    )
    return group


def set_child_offices(
    session: Session, actor: Actor, department_id: int, office_ids: list[int], *, now: datetime
) -> Department:
    """Say which child offices a unit or a group of the directory stands for (下发): a unit
    stands for one office (or none, `[]`); a group (各区政府) for several, each through a unit
    of its own (the office's unit of that name, created when missing), which become its members.
    Work assigned to them is then issued to those offices on activation."""
    department = get_department(session, actor, department_id)
    actor.require_admin_of(department.office_id)
    lock_for_change(session, Department, department.id)
    offices = []
    for office_id in dict.fromkeys(office_ids):
        office = session.get(Office, office_id)
        if office is None or office.parent_id != department.office_id:
            raise Invalid(f"办公室 {office_id} 不是本办公室的直属下级办公室")
        offices.append(office)
    if department.kind != KIND_GROUP:
        if len(offices) > 1:
            raise Invalid("一个单位只能代表一个下级办公室；代表多个下级办公室请使用分组（如“各区政府”）")
        before = {"represents_office_id": department.represents_office_id}
        wanted = offices[0].id if offices else None
        _check_not_represented(session, department.office_id, wanted, department.id)
        department.represents_office_id = wanted
        session.flush()
        record(session, actor, "department.child_office", "department", department.id,
               before=before, after={"represents_office_id": wanted}, now=now)
        return department
    members = [_unit_for_office(session, actor, department.office_id, office, now=now) for office in offices]
    return set_group_members(session, actor, department.id, [m.id for m in members], now=now)


def _check_not_represented(session: Session, office_id: int, child_office_id: int | None, own_id: int) -> None:
    if child_office_id is None:
        return
    taken = session.scalars(
        select(Department).where(Department.office_id == office_id, Department.represents_office_id == child_office_id)
    ).first()
    if taken is not None and taken.id != own_id:
        raise Conflict(f"该下级办公室已由单位“{taken.name}”代表")


def _unit_for_office(session: Session, actor: Actor, office_id: int, child: Office, *, now: datetime) -> Department:
    """The unit of the directory standing for `child`: the one already mapped, else the
    unconnected unit named like the office, else a new one."""
    found = session.scalars(
        select(Department).where(Department.office_id == office_id, Department.represents_office_id == child.id)
    ).first()
    if found is not None:
        return found
    name = normalize_name(child.name)
    found = session.scalars(select(Department).where(Department.office_id == office_id, Department.name == name)).first()
    if found is None:
        return create_department(session, actor, {"name": name, "represents_office_id": child.id}, now=now)
    if found.kind == KIND_GROUP or found.represents_office_id is not None:
        raise Conflict(f"单位“{found.name}”不能代表下级办公室“{child.name}”：它是分组或已代表其他办公室")
    found.represents_office_id = child.id
    record(session, actor, "department.child_office", "department", found.id,
           before={"represents_office_id": None}, after={"represents_office_id": child.id}, now=now)
    return found


def group_member_ids(session: Session, group_id: int) -> list[int]:
    return sorted(
        session.scalars(
            select(DepartmentGroupMember.member_id).where(DepartmentGroupMember.group_id == group_id)
        )
    )
