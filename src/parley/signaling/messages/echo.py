"""``echo`` namespace: the payload is any JSON value and is sent back unchanged.

It has no ``action``/``message`` tags (the reference module is typed
``serde_json::Value`` both ways) and works before ``join``, so clients can
use it to test the connection.
"""

from __future__ import annotations

from typing import ClassVar, Final

from pydantic import ConfigDict, JsonValue, RootModel

NAMESPACE: Final = "echo"


class EchoPayload(RootModel[JsonValue]):
    """Both the command and the event of the echo namespace."""

    model_config = ConfigDict(frozen=True)

    namespace: ClassVar[str] = NAMESPACE


EchoCommand = EchoPayload
EchoEvent = EchoPayload
