"""A holiday calendar change: the new days, then open milestones re-timed on them."""
