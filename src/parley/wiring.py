"""The composition root: which domain reacts to what another domain does.

Every cross-domain hook is added here and nowhere else (STYLE.md 11), so this
file is the one list of who is connected to whom. ``create_app`` calls
:func:`wire`; adding a callback twice is harmless, so building several apps in
one process (tests) wires each hook once.
"""

from __future__ import annotations

from parley import input_guard
from parley.assets import service as assets_service
from parley.auth.provider import router as provider_router
from parley.compat.easycalendar import service as easycalendar_service
from parley.events import invites as event_invites
from parley.events import notifications as event_notifications
from parley.events import room_access as event_room_access
from parley.events import service as events_service
from parley.mail import notify as mail_notify
from parley.rooms import service as rooms_service
from parley.shared_folders import service as shared_folders_service
from parley.signaling import admission, room_deletion
from parley.streaming import service as streaming_service
from parley.users import service as users_service


def wire() -> None:
    """Connect the domains; idempotent."""
    # A room is deleted: its stored files go after the commit, and its
    # participants hear `room_deleted` on every instance.
    rooms_service.delete_hooks.add(assets_service.delete_room_objects)
    rooms_service.delete_hooks.add(room_deletion.announce_once_committed)
    # Invitees of a room's event may see the room.
    rooms_service.access_checks.add(events_service.invitee_may_access_room)

    # A room ends (Videsk `ended`): everyone in it leaves, on every instance.
    rooms_service.end_hooks.add(room_deletion.announce_end_once_committed)

    # Every event gets its EasyCalendar meeting number when it is created.
    events_service.created_hooks.add(easycalendar_service.number_new_event)
    # An event is created or deleted: so is its shared folder.
    events_service.created_hooks.add(shared_folders_service.create_with_event)
    events_service.deleting_hooks.add(shared_folders_service.delete_with_event)
    # Invitees are told of changes by e-mail.
    event_notifications.handlers.add(mail_notify.queue_notification)
    # A room's streaming targets are part of its event: invitees are told.
    streaming_service.change_listeners.add(events_service.streaming_targets_changed)

    # A user appears (or changes address): e-mail invites become invites.
    users_service.provisioning_hooks.add(event_invites.convert_email_invites)

    # Assets of an event's room show the event's id (`GET /users/me/assets`).
    assets_service.event_lookups.add(event_room_access.event_ids_of_rooms)
    # An invitee joins the event's room in the role the invite gives, and
    # join_success names the room's event.
    admission.role_lookups.add(event_room_access.invite_role_in_room)
    admission.event_info_lookups.add(event_room_access.event_info_of_room)

    # The OpenID provider answers in OAuth's error shape and HTML, also when the
    # app-wide guard refuses a NUL character on its routes.
    input_guard.refusal_renderers.add(provider_router.refuse_nul)
