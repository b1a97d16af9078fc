"""EasyCalendar's meetings REST API over the events domain (a meeting is an event)."""
