"""Errors of the shared folder domain."""

from __future__ import annotations

from parley.errors import AppError, Forbidden, NotFound, ServiceUnavailable


class SharedFoldersDisabled(Forbidden):
    """No provider is configured: the notes' error for a disabled feature (403)."""

    code = "feature_disabled"
    default_message = (
        "Shared folders are disabled: this server has no shared folder storage"
    )


class SharedFolderNotFound(NotFound):
    default_message = "The event has no shared folder"


class ProviderUnavailable(ServiceUnavailable):
    """The storage could not be reached or did not answer in time (503)."""

    default_message = "The shared folder storage is unreachable, try again later"


class ProviderFailed(AppError):
    """The storage answered, but not as it should (an error status or a bad body)."""

    status_code = 502
    code = "bad_gateway"
    default_message = "The shared folder storage answered with an error"
