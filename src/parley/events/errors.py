"""Errors of the events domain; codes follow the reference controller (notes 3, 4.4)."""

from __future__ import annotations

from parley.errors import BadRequest, Forbidden, NotFound, ValidationFailed


class EventNotFound(NotFound):
    default_message = "The event could not be found"


class InstanceNotFound(NotFound):
    default_message = "The event has no such instance"


class EventInviteNotFound(NotFound):
    default_message = "The invite could not be found"


class RoomHasNoEvent(NotFound):
    default_message = "The room has no event"


class NotEventCreator(Forbidden):
    default_message = "Only the event's creator may do this"


class NoEventAccess(Forbidden):
    default_message = "You have no access to this event"


class InvalidEvent(ValidationFailed):
    """Times or recurrence that cannot describe an event (422 `invalid_event`)."""

    code = "invalid_event"
    default_message = "The event's times or recurrence are invalid"


class InvalidEventTiming(BadRequest):
    """Time fields given or missing against `is_time_independent` (400, notes 4.4)."""

    default_message = "The event's time fields do not match is_time_independent"
