class PlanParseError(ValueError):
    """The upload cannot be read as a plan. The message is one line, Chinese with English."""


class LimitExceeded(PlanParseError):
    """The upload expands past one of the reading limits (`reading.ReadLimits`);
    the message names the limit."""
