"""Activating a plan: the plan's state, its milestones, their reminders and notices."""
