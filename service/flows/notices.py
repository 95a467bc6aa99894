"""The workflow's notices: a milestone transition, then what the reminders make of it."""
