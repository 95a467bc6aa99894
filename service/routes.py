"""The REST API: every domain's router, mounted under /api/v1 by the app."""

from fastapi import APIRouter

from service.assessment.routes import router as assessment_router
from service.audit.routes import router as audit_router
from service.auth.account_routes import router as account_router
from service.auth.routes import router as auth_router
from service.bulletins.routes import router as bulletins_router
from service.delivery.routes import router as delivery_router
from service.holidays.routes import router as holidays_router
from service.departments.routes import router as departments_router
from service.indicators.routes import router as indicators_router
from service.milestones.assignment_routes import router as assignments_router
from service.milestones.routes import router as milestones_router
from service.offices.cascade_routes import router as cascade_router
from service.offices.routes import router as offices_router
from service.plans.routes import router as plans_router
from service.reminders.routes import router as reminders_router

api_router = APIRouter()
for router in (
    auth_router, account_router, departments_router, plans_router, assignments_router, milestones_router, audit_router, delivery_router,
    reminders_router, indicators_router, holidays_router, offices_router, assessment_router, cascade_router, bulletins_router,
):
    api_router.include_router(router)


@api_router.get("/ping", tags=["health"])
async def ping() -> dict:
    """Constant answer with no database work: for load balancers and as the API bench's ceiling."""
    return {"ok": True}
