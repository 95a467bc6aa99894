"""三色督办单: the office issues a 督办单 for one item.

A flow over milestones (the item and its current checkpoint), reminders (the
once-a-day manual-chase slot it shares with 催办, and the message to the unit's
channels) and bulletins (the stored sheet and its .docx)."""

from datetime import datetime

from sqlalchemy.orm import Session

from service.auth.actor import Actor
from service.bulletins import service as bulletins
from service.bulletins.models import SupervisionNotice
from service.config import Settings
from service.database import lock_for_change
from service.errors import Conflict, RateLimited
from service.milestones import assignments
from service.plans.models import PLAN_ACTIVE, Assignment
from service.reminders.scan import claim_chase, send_chase


def issue_notice(
    session: Session, settings: Settings, actor: Actor, assignment_id: int, *, colour: object, requirement: object,
    answer_by: object, send: bool, now: datetime,
) -> SupervisionNotice:
    """Issue a 督办单 at the item's current checkpoint; with `send`, the unit's channels get a
    督办 message of that colour. Refused (429) when the item was chased or given one today."""
    assignment = assignments.get_assignment(session, actor, assignment_id)
    actor.require_admin_of(assignment.measure.plan.office_id)
    lock_for_change(session, Assignment, assignment.id)
    if assignment.measure.plan.status != PLAN_ACTIVE:
        raise Conflict("计划不在推进中，不能开具督办单")
    item = assignments.work_items(session, [assignment])[0]
    today = now.astimezone(settings.tz).date()
    fields = bulletins.notice_fields(session, item, colour=colour, requirement=requirement, answer_by=answer_by,
                                     today=today)
    milestone = item.current
    if send:
        note = f"【{fields['colour_label']}督办单】{fields['requirement']}请于{fields['answer_by']}前反馈办理情况。"
        taken = send_chase(session, settings, [milestone.id], fields["colour"], now, note=note)
    else:
        taken = claim_chase(session, settings, [milestone], now)
    if not taken:
        raise RateLimited("该督办件今天已催办或已开具督办单，每件每天一次，请明天再开具")
    return bulletins.record_notice(session, actor, item, fields, sent=send, now=now)
