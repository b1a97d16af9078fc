"""Events: scheduling data model and the recurrence engine."""
