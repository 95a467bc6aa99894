"""A plan's reminder policy (催办规则) as a form, back to the default, and link revocation."""

from fastapi import APIRouter, Request

from service.dependencies import NowDep, SessionDep, SettingsDep
from service.plans.service import get_plan
from service.reminders.links import revoke_plan_links
from service.reminders.models import ReminderPolicy
from service.reminders.policy import AUDIENCES, CHANNEL_TYPES, COLOUR_NAMES, DAYS, LEVELS, WORKDAYS
from service.reminders.policy_form import set_policy_from_form
from service.reminders.service import get_policy, set_policy
from service.web.actions import run_action
from service.web.directory import CHANNEL_LABELS
from service.web.render import render
from service.web.session import PageActorDep

router = APIRouter()
AUDIENCE_LABELS = {"department": "单位联系人", "head": "分管领导", "office": "办公室", "leader": "领导"}
UNIT_LABELS = {WORKDAYS: "工作日", DAYS: "自然日"}
BLANK_STEPS = 2  # empty rows under the ladder for adding steps


@router.get("/plans/{plan_id}/reminder-policy")
def policy_page(request: Request, plan_id: int, actor: PageActorDep, session: SessionDep, settings: SettingsDep):
    plan = get_plan(session, actor, plan_id)
    policy, is_default, link_reporting = get_policy(session, plan)
    row = session.get(ReminderPolicy, plan.id)
    return render(
        request,
        "reminder_policy.html",
        {
            "plan": plan,
            "policy": policy,
            "is_default": is_default,
            "link_reporting": link_reporting,
            "link_version": row.link_version if row else 1,
            "blank_steps": BLANK_STEPS,
            "send_hour": settings.send_hour,
            "timezone": settings.timezone,
            "can_edit": actor.is_admin and actor.office_id == plan.office_id,
            "audiences": AUDIENCES,
            "audience_labels": AUDIENCE_LABELS,
            "channel_types": CHANNEL_TYPES,
            "channel_labels": CHANNEL_LABELS,
            "levels": LEVELS,
            "colour_names": COLOUR_NAMES,
            "unit_labels": UNIT_LABELS,
        },
    )


@router.post("/plans/{plan_id}/reminder-policy")
def save_policy(request: Request, plan_id: int, actor: PageActorDep, session: SessionDep, now: NowDep):
    plan = get_plan(session, actor, plan_id)
    form = request.state.form
    back = f"/plans/{plan_id}/reminder-policy"
    if form.get("action") == "default":
        _, _, link_reporting = get_policy(session, plan)
        return run_action(
            request, session,
            lambda: set_policy(session, actor, plan, None, link_reporting=link_reporting, now=now),
            ok="已恢复默认催办规则", back=back,
        )
    fields = {key: [str(v) for v in form.getlist(key)] for key in form.keys()}
    return run_action(
        request, session, lambda: set_policy_from_form(session, actor, plan, fields, now=now),
        ok="催办规则已保存，下一次扫描起按新规则提醒", back=back,
    )


@router.post("/plans/{plan_id}/links/revoke")
def revoke_links(request: Request, plan_id: int, actor: PageActorDep, session: SessionDep, now: NowDep):
    plan = get_plan(session, actor, plan_id)
    return run_action(
        request, session, lambda: revoke_plan_links(session, actor, plan, now=now),
        ok="已撤销本计划此前发出的所有链接，之后的通知将带新链接", back=f"/plans/{plan_id}/reminder-policy#links",
    )
