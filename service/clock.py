"""The one source of "now", so tests and `duban tick --now` can move time."""

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass
class FixedClock:
    instant: datetime

    def now(self) -> datetime:
        return self.instant
