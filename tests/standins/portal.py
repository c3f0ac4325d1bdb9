"""A stand-in for the National Public Service Portal's dossier-sync endpoint.

It accepts each event once, by its idempotency key, and acknowledges a repeat as
"duplicate"; `accepted` is what it holds (kept across restarts), in arrival order.
"""

from __future__ import annotations

import json
from typing import Any

from tests.standins.server import Answer, Fault, Received, RepeatAcks, ShuffleAcks, StandIn

EVENTS_PATH = "/dossier-events"


class PortalStandIn(StandIn):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted: dict[str, dict[str, Any]] = {}  # by idempotency key

    def deliveries(self) -> list[Received]:
        return self.requests_to(EVENTS_PATH)

    def handle(self, request: Received, fault: Fault | None) -> Answer:
        if request.method != "POST" or request.path != EVENTS_PATH:
            return Answer.json(404, {"title": "Not Found", "status": 404})
        try:
            events = json.loads(request.body)["events"]
            keys = [e["idempotency_key"] for e in events]
        except (ValueError, KeyError, TypeError):
            return Answer.json(400, {"title": "Malformed events", "status": 400})
        acks = []
        with self.lock:
            for key, event in zip(keys, events, strict=True):
                status = "duplicate" if key in self.accepted else "accepted"
                if status == "accepted":
                    self.accepted[key] = event
                reference = f"DVC-{list(self.accepted).index(key) + 1:06d}"
                acks.append(
                    {"event_id": event["event_id"], "status": status, "reference": reference}
                )
        if isinstance(fault, RepeatAcks):
            acks = [a for ack in acks for a in (ack, ack)]
        if isinstance(fault, ShuffleAcks):
            acks.reverse()
        return Answer.json(200, {"acknowledgements": acks})
