"""The audit log read back for people (the API and the 操作记录 page): which events an
actor may read, filtered by the objects of any domain, and their Chinese labels.

Above the domains, since a filter names their tables; the write side
(service/audit/service.py) stays below them so every domain can record."""

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.audit.service import OFFICE_CALENDAR_ENTITY
from service.auth.actor import Actor
from service.auth.models import User
from service.delivery.models import Channel
from service.departments.models import Department
from service.indicators.models import Indicator
from service.milestones.models import Milestone
from service.offices.service import ancestor_office_ids
from service.plans.models import Measure, Plan


def list_events(
    session: Session,
    actor: Actor,
    *,
    entity_type: str | None = None,
    entity_id: int | None = None,
    plan_id: int | None = None,
    department_id: int | None = None,
    user_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    newest_first: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEvent]:
    """The audit trail the actor may read: its offices' (a parent office's include
    its children's), the deployment-wide changes that reach every office and its
    parent offices' local days off, which count for it too; a department user's,
    its own actions only.

    `plan_id` matches the plan and its measures, milestones and indicators;
    `department_id` the department and its milestones, channels, users and
    indicators; `user_id` who acted; `since` (inclusive) and `until` (exclusive)
    the time of the event.
    """
    query = select(AuditEvent).where(or_(
        AuditEvent.office_id.in_(actor.readable_office_ids),
        AuditEvent.office_id.is_(None),
        and_(AuditEvent.entity_type == OFFICE_CALENDAR_ENTITY,
             AuditEvent.office_id.in_(ancestor_office_ids(session, actor.office_id))),
    ))
    if entity_type is not None:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if plan_id is not None:
        query = query.where(_about(
            ("plan", select(Plan.id).where(Plan.id == plan_id)),
            ("measure", select(Measure.id).where(Measure.plan_id == plan_id)),
            ("milestone", select(Milestone.id).where(Milestone.plan_id == plan_id)),
            ("indicator", select(Indicator.id).where(Indicator.plan_id == plan_id)),
        ))
    if department_id is not None:
        query = query.where(_about(
            ("department", select(Department.id).where(Department.id == department_id)),
            ("milestone", select(Milestone.id).where(Milestone.department_id == department_id)),
            ("channel", select(Channel.id).where(Channel.department_id == department_id)),
            ("user", select(User.id).where(User.department_id == department_id)),
            ("indicator", select(Indicator.id).where(Indicator.department_id == department_id)),
        ))
    if user_id is not None:
        query = query.where(AuditEvent.actor_id == user_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.created_at >= since)
    if until is not None:
        query = query.where(AuditEvent.created_at < until)
    if actor.department_id is not None:
        # A department sees the trail of its own work only.
        query = query.where(AuditEvent.actor_id == actor.user_id)
    order = (AuditEvent.created_at.desc(), AuditEvent.id.desc()) if newest_first else (AuditEvent.created_at, AuditEvent.id)
    query = query.order_by(*order).limit(limit).offset(offset)
    return list(session.scalars(query))


def _about(*entities: tuple[str, Select]) -> ColumnElement[bool]:
    """Events whose object is one of the given rows, per entity type."""
    return or_(*(and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids)) for kind, ids in entities))


# The one place that names audit actions and objects in Chinese (the 操作记录 page).
ACTION_LABELS = {
    "plan.create": "创建计划",
    "plan.import": "导入计划",
    "plan.map_department": "匹配单位",
    "plan.activate": "启动计划",
    "plan.archive": "归档计划",
    "plan.restore": "恢复计划",
    "plan.reminder_policy": "修改催办规则",
    "plan.links_revoke": "撤销计划的办理链接",
    "plan.demo_phases": "调整演示阶段",
    "plan.delete": "删除计划草稿",
    "phase.create": "新增阶段",
    "phase.update": "修改阶段",
    "phase.delete": "删除阶段",
    "measure.update": "修改措施",
    "measure.decompose": "分解上级交办",
    "milestone.acknowledge": "签收",
    "assignment.progress": "报送进展",
    "assignment.chase": "人工催办",
    "progress.read": "阅知进展",
    "progress.more": "要求补充进展",
    "plan.reporting_cycle": "修改报送周期",
    "milestone.report": "报送进展",
    "milestone.approve": "审核通过",
    "milestone.return": "退回修改",
    "milestone.reopen": "重新打开",
    "milestone.links_revoke": "撤销节点的办理链接",
    "extension.request": "申请延期",
    "extension.approve": "同意延期",
    "extension.reject": "驳回延期",
    "indicator.create": "新增指标",
    "indicator.update": "修改指标",
    "indicator.reading": "填报指标",
    "department.create": "新增单位",
    "department.update": "修改单位",
    "department.confirm": "确认单位",
    "department.group_members": "设置分组成员",
    "department.child_office": "设置代表的下级办公室",
    "channel.create": "新增通知渠道",
    "channel.update": "修改通知渠道",
    "channel.delete": "删除通知渠道",
    "notification.retry": "重发通知",
    "office.create": "新增办公室",
    "user.create": "新增用户",
    "user.activate": "启用用户",
    "user.deactivate": "停用用户",
    "user.reset_password": "重置密码",
    "user.change_password": "修改密码",
    "calendar.replace_year": "修改节假日安排",
    "calendar.replace_office_year": "修改本地放假安排",
    "calendar_feed.rotate": "重新生成日历订阅地址",
    "token.issue": "签发接口令牌",
    "token.revoke": "吊销接口令牌",
    "assessment.scheme_create": "新建考核方案",
    "assessment.scheme_update": "修改考核方案",
    "assessment.scheme_version": "考核方案新版本",
    "assessment.compute": "计算考核得分",
    "assessment.recompute": "重新计算考核得分",
    "assessment.enter": "录入考核加分扣分",
    "assessment.publish": "发布考核结果",
    "assessment.correct": "更正考核结果",
    "bulletin.draft": "拟制通报",
    "bulletin.edit": "修改通报稿",
    "bulletin.issue": "印发通报",
    "assignment.supervision_notice": "下发督办单",
    "task.mandatory": "设置必做或选做",
    "plan.choice_deadline": "设置选做申报截止日期",
    "task_choice.choose": "选做申报",
    "task_choice.request": "申请变更选做",
    "task_choice.approve": "同意变更选做",
    "task_choice.refuse": "不同意变更选做",
}
ENTITY_LABELS = {
    "plan": "计划",
    "measure": "措施",
    "milestone": "节点",
    "assignment": "督办件",
    "indicator": "指标",
    "department": "单位",
    "channel": "通知渠道",
    "notification": "通知",
    "user": "用户",
    "office": "办公室",
    "calendar_year": "节假日安排",
    "office_calendar": "本地放假安排",
    "assessment_scheme": "考核方案",
    "assessment_result": "考核结果",
    "bulletin": "督办通报",
    "task": "任务",
    "task_choice": "选做申报",
}
