"""Domain errors. Service functions raise these; the web layer maps them to HTTP."""


class DomainError(Exception):
    status_code = 400
    # True where the refusal itself must be remembered (a failed login counts
    # towards the rate limit), so the request's transaction commits anyway.
    keep_changes = False

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        # The form field the refusal is about, where a page shows it beside that field.
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """An illegal state transition or a uniqueness clash."""

    status_code = 409


class Invalid(DomainError):
    status_code = 422


class RateLimited(DomainError):
    status_code = 429
