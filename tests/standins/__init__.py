"""Stand-ins for the outside systems the vault calls: real HTTP servers on loopback, in a
thread, scriptable to misbehave (see `server.py`)."""

from tests.standins.peer_vault import PeerVaultStandIn
from tests.standins.portal import PortalStandIn
from tests.standins.server import (
    Fail,
    Garble,
    Refuse,
    RepeatAcks,
    Restart,
    ShuffleAcks,
    Stall,
    StandIn,
)

__all__ = [
    "Fail",
    "Garble",
    "PeerVaultStandIn",
    "PortalStandIn",
    "Refuse",
    "RepeatAcks",
    "Restart",
    "ShuffleAcks",
    "Stall",
    "StandIn",
]
