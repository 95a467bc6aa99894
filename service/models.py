"""Imports every domain's models so that the metadata (and Alembic) sees all tables."""

from service.assessment.models import AssessmentCorrection, AssessmentResult, AssessmentScheme, AssessmentScore
from service.audit.models import AuditEvent
from service.auth.models import ApiToken, InstanceSecret, LoginAttempt, User
from service.bulletins.models import BulletinDocument, SupervisionNotice
from service.database import Base
from service.delivery.models import Channel, DeliveryAttempt, Notification, SendSlot
from service.departments.feeds import CalendarFeed
from service.departments.models import Department, DepartmentGroupMember
from service.holidays.models import CalendarDay, OfficeCalendarDay
from service.indicators.models import Indicator, IndicatorReading
from service.milestones.models import (
    Attachment,
    ExtensionRequest,
    Milestone,
    Report,
    Review,
    WorkflowEvent,
)
from service.offices.models import Office
from service.plans.models import Assignment, Measure, Phase, Plan, Section, Task
from service.reminders.models import BulletinRun, MilestoneLink, ReminderPolicy, SentReminder

__all__ = [
    "ApiToken",
    "AssessmentCorrection",
    "AssessmentResult",
    "AssessmentScheme",
    "AssessmentScore",
    "Assignment",
    "Attachment",
    "AuditEvent",
    "BulletinDocument",
    "BulletinRun",
    "Base",
    "CalendarDay",
    "CalendarFeed",
    "Channel",
    "DeliveryAttempt",
    "Department",
    "DepartmentGroupMember",
    "ExtensionRequest",
    "Indicator",
    "IndicatorReading",
    "InstanceSecret",
    "LoginAttempt",
    "Measure",
    "Milestone",
    "MilestoneLink",
    "Notification",
    "Office",
    "OfficeCalendarDay",
    "Phase",
    "Plan",
    "ReminderPolicy",
    "Report",
    "Review",
    "Section",
    "SupervisionNotice",
    "SentReminder",
    "SendSlot",
    "Task",
    "User",
    "WorkflowEvent",
]
