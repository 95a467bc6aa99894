"""Archiving and restoring a plan: the plan's state and its milestones' reminders."""
