"""The weekly bulletin (督办通报) to each office: per department open / due this
week / overdue / approved and its on-time rate, ranked as everywhere else
(milestones.stats.rank_key: best on-time rate first). Sent on Monday at
the send hour by the scheduler; once per office and week whatever the replicas."""

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.database import transaction
from service.departments.models import Department
from service.milestones.models import APPROVED, Milestone
from service.milestones.stats import DepartmentRank, rank_columns, rank_key
from service.plans.models import PLAN_ACTIVE, Plan
from service.reminders.models import BulletinRun
from service.delivery.service import enqueue
from service.messages import render, render_bodies
from service.reminders.scan import ContactBook, Recipient, split_in_parts
from service.reminders.policy import AUDIENCE_OFFICE
from service.workdays import WorkdayCalendar


def department_figures(session: Session, today, tz) -> dict[int, list[dict]]:
    """Per office, one ranked row per department, from one grouped query."""
    week_end = today + timedelta(days=6 - today.weekday())
    not_approved = Milestone.state != APPROVED
    rows = session.execute(
        select(
            Plan.office_id,
            Department.name,
            func.sum(case((not_approved, 1), else_=0)),
            func.sum(case((not_approved & Milestone.due_date.between(today, week_end), 1), else_=0)),
            Department.id,
            *rank_columns(today, tz),
        )
        .join(Plan, Plan.id == Milestone.plan_id)
        .join(Department, Department.id == Milestone.department_id)
        .where(Plan.status == PLAN_ACTIVE)
        .group_by(Plan.office_id, Department.id, Department.name)
    )
    offices: dict[int, list[tuple[DepartmentRank, dict]]] = defaultdict(list)
    for office_id, name, open_, due_week, *counts in rows:
        rank = DepartmentRank(*counts)
        rate = rank.on_time_rate
        offices[office_id].append((rank, {
            "department_name": name, "open": open_, "due_this_week": due_week, "overdue": rank.overdue,
            "approved": rank.approved, "on_time_percent": None if rate is None else round(rate * 100),
        }))
    ranked_offices = {}
    for office_id, items in offices.items():
        items.sort(key=lambda item: rank_key(item[0]))
        ranked_offices[office_id] = [f | {"position": n} for n, (_, f) in enumerate(items, start=1)]
    return ranked_offices


def send_weekly_bulletins(
    session_factory: sessionmaker[Session], settings: Settings, calendar: WorkdayCalendar, now: datetime
) -> dict:
    today = now.astimezone(settings.tz).date()
    week_start = today - timedelta(days=today.weekday())
    sent = {"week_start": week_start.isoformat(), "offices": 0, "notifications": 0}
    with transaction(session_factory) as session:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        for office_id, figures in department_figures(session, today, settings.tz).items():
            claimed = session.execute(
                dialect.insert(BulletinRun)
                .values(office_id=office_id, week_start=week_start, created_at=now)
                .on_conflict_do_nothing()
                .returning(BulletinRun.office_id)
            ).first()
            if claimed is None:
                continue  # another replica (or an earlier run) sent this week's
            sent["offices"] += 1
            contacts = ContactBook(session, set(), {office_id})

            def context(start: int, end: int) -> dict:
                return {"items": figures[start:end], "count": end - start, "base_url": settings.base_url.rstrip("/")}

            for channel in contacts.office[(office_id, AUDIENCE_OFFICE)]:
                recipient = Recipient(f"channel:{channel.id}", channel.type, channel.target, channel.id)
                for start, end in split_in_parts(
                    len(figures), channel.type, tuple(channel.mentions or ()),
                    lambda start, end: render_bodies("bulletin", context(start, end)),
                ):
                    items, message = figures[start:end], render("bulletin", context(start, end))
                    enqueue(
                        session, office_id=office_id, department_id=None, channel_id=recipient.channel_id,
                        channel_type=recipient.channel_type, target=recipient.target, kind="bulletin", level=None,
                        subject=message.subject, body_text=message.text, body_markdown=message.markdown,
                        body_html=message.html,
                        event={"type": "duban.bulletin", "week_start": week_start.isoformat(),
                               "departments": items},
                        mentions=[], now=now,
                    )
                    sent["notifications"] += 1
    return sent
