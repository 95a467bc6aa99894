class PlanParseError(ValueError):
    """The upload cannot be read as a plan. The message is one line, Chinese with English."""
