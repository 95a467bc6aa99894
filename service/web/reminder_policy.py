"""A plan's reminder policy (催办规则) as a form, back to the default, and link revocation."""

from fastapi import APIRouter, Request

from notifiers import CHANNEL_LABELS, CHANNEL_TYPES
from service.dependencies import IdPath, NowDep, SessionDep, SettingsDep
from service.errors import Invalid
from service.plans.service import get_plan
from service.reminders.links import revoke_plan_links
from service.reminders.models import ReminderPolicy
from service.reminders.policy import AUDIENCES, COLOUR_NAMES, DAYS, LEVELS, WORKDAYS
from service.reminders.policy_form import form_from_policy, set_policy_from_form, step_rows
from service.reminders.service import get_policy, set_policy
from service.web.actions import confirmed, run_action
from service.web.render import redirect, render
from service.web.session import PageActorDep

router = APIRouter()
AUDIENCE_LABELS = {"department": "单位联系人", "head": "分管领导", "office": "办公室", "leader": "领导"}
UNIT_LABELS = {WORKDAYS: "工作日", DAYS: "自然日"}
BLANK_STEPS = 2  # empty rows under the ladder for adding steps


def _page(request: Request, plan, actor, session, settings, fields=None, *, error: str | None = None,
          status_code: int = 200):
    """The policy form showing the stored policy, or `fields` as the user sent them back with `error`."""
    policy, is_default, link_reporting = get_policy(session, plan)
    fields = fields if fields is not None else form_from_policy(policy, link_reporting, blank_steps=BLANK_STEPS)
    row = session.get(ReminderPolicy, plan.id)
    return render(
        request,
        "reminder_policy.html",
        {
            "plan": plan,
            "value": lambda name: (fields.get(name) or [""])[-1],
            "chosen": lambda name: fields.get(name) or [],
            "rows": step_rows(fields),
            "stored_steps": len(policy.steps),
            "error": error,
            "is_default": is_default,
            "link_version": row.link_version if row else 1,
            "send_hour": settings.send_hour,
            "timezone": "北京时间" if settings.timezone in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else "本地时间",
            "can_edit": actor.is_admin and actor.office_id == plan.office_id,
            "audiences": AUDIENCES,
            "audience_labels": AUDIENCE_LABELS,
            "channel_types": CHANNEL_TYPES,
            "channel_labels": CHANNEL_LABELS,
            "levels": LEVELS,
            "colour_names": COLOUR_NAMES,
            "unit_labels": UNIT_LABELS,
        },
        status_code=status_code,
    )


@router.get("/plans/{plan_id}/reminder-policy")
def policy_page(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, settings: SettingsDep):
    return _page(request, get_plan(session, actor, plan_id), actor, session, settings)


@router.post("/plans/{plan_id}/reminder-policy")
def save_policy(
    request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, settings: SettingsDep, now: NowDep
):
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
    try:
        set_policy_from_form(session, actor, plan, fields, now=now)
        session.flush()
    except Invalid as exc:
        # The form comes back as the user filled it in, so a slip in one step costs no edits.
        session.rollback()
        return _page(request, plan, actor, session, settings, fields, error=exc.message, status_code=exc.status_code)
    return redirect(request, back, "催办规则已保存，下一次扫描起按新规则提醒")


@router.post("/plans/{plan_id}/links/revoke")
def revoke_links(request: Request, plan_id: IdPath, actor: PageActorDep, session: SessionDep, now: NowDep):
    plan = get_plan(session, actor, plan_id)
    return run_action(
        request, session, confirmed(request, lambda: revoke_plan_links(session, actor, plan, now=now), "撤销链接"),
        ok="已撤销本计划此前发出的所有链接，之后的通知将带新链接", back=f"/plans/{plan_id}/reminder-policy#links",
    )
