"""Events as iCalendar: .ics downloads, iTIP attachments and per-user feeds."""
