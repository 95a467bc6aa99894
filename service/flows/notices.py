"""The workflow's notices. A transition that owes a notice (退回, 延期审批结果,
交办) emits a WorkflowEvent through service/milestones/events.py in its own
transaction, and the reminder scan turns it into messages, so no flow is needed
for those; a notice that must also change another domain (a manual chase that
records a reminder, say) belongs here, as a function listing its steps."""
