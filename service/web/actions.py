"""Form posts: run a service call, then redirect with its outcome as a flash message,
or show the form again as typed when the service refuses it."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from service.errors import DomainError, Forbidden, Invalid, NotFound
from service.ids import MAX_ID
from service.web.render import redirect


def run_action(
    request: Request, session: Session, action: Callable[[], object], *, ok: str, back: str
) -> RedirectResponse:
    """Refusals (wrong state, bad input) come back as a message on the form's page.

    A NotFound propagates so another department's object looks like none at all,
    and a Forbidden as the 403 page: the form was never shown to this user.
    """
    refused = attempt(session, action)
    if refused is not None:
        session.rollback()
        return redirect(request, back, refused.message, kind="error")
    return redirect(request, back, ok)


def attempt(session: Session, action: Callable[[], object]) -> DomainError | None:
    """Run a service call and flush it: None when it went through, else the domain's
    refusal. NotFound and Forbidden propagate (see run_action)."""
    try:
        action()
        session.flush()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        return exc
    return None


@dataclass(frozen=True)
class Refused:
    """A form the service refused, shown again (422) as typed with the reason beside
    the field it is about, or above the form when it names none."""

    form: str  # which of the page's forms
    message: str
    typed: dict  # the fields as submitted, but those never sent back (passwords, secrets)
    field: str | None = None
    files_dropped: int = 0  # attachments a browser cannot be given back: to be chosen again


def refusal(
    request: Request, session: Session, form: str, exc: DomainError, *, withheld: Iterable[str] = (), files_dropped: int = 0
) -> Refused:
    """The refusal of a form, its changes rolled back."""
    session.rollback()
    hidden = {"csrf_token", *withheld}
    typed = {k: v for k, v in request.state.form.items() if isinstance(v, str) and k not in hidden}
    return Refused(form, exc.message, typed, exc.field, files_dropped)


def try_form(
    request: Request, session: Session, action: Callable[[], object], form: str, *, withheld: Iterable[str] = ()
) -> Refused | None:
    """Run a form's service call: None when it went through, else its refusal (NotFound
    and Forbidden propagate, as in run_action)."""
    refused = attempt(session, action)
    return None if refused is None else refusal(request, session, form, refused, withheld=withheld)


def confirmed(request: Request, change: Callable[[], object], what: str) -> Callable[[], object]:
    """An irreversible change that needs the form's 确认 box ticked (the page works
    without JavaScript: the box is `required`). Checked after the service's own
    checks so that who may not make the change (or an object in the wrong state)
    hears that first; run_action rolls the change back when the box was not ticked."""

    def action():
        change()
        if request.state.form.get("confirm") != "1":
            raise Invalid(f"请勾选确认后再{what}")

    return action


def form_int(value: object, default: int | None = None) -> int | None:
    """An integer form field, or `default` when it is none, or past any id (the
    database could not even bind it)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return number if abs(number) <= MAX_ID else default
