"""The National Public Service Portal (Cổng Dịch vụ công quốc gia): dossier synchronisation.

The vault reports what happens to each dossier (hồ sơ) as events, numbered per dossier, and
the portal acknowledges each one. A batch can be delivered more than once (a lost answer, a
restart on either side): every event carries its own idempotency key, the batch one derived
from them, so the portal counts a repeated event once and acknowledges it again.

The wire shape is deliberately minimal; issue 17 fills in the event kinds and payloads:

    POST {base}/dossier-events            Idempotency-Key: <batch key>
    {"events": [{"event_id", "idempotency_key", "dossier_code", "sequence", "kind",
                 "payload"}]}
    200 {"acknowledgements": [{"event_id", "status": "accepted" | "duplicate",
                               "reference": "<the portal's id>" | null}]}

Acknowledgements may come in any order and more than once; an event without one was not
taken and is sent again later.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from vault.integrations.base import IntegrationProtocolError
from vault.integrations.http import HttpCaller

SYSTEM = "national_portal"
EVENTS_PATH = "/dossier-events"
AckStatus = Literal["accepted", "duplicate"]


@dataclass(frozen=True, slots=True)
class DossierEvent:
    """One thing that happened to a dossier, in the order `sequence` gives (1, 2, 3 … per
    dossier). `payload` holds the kind's fields (issue 17); it may hold personal data and is
    therefore never logged."""

    event_id: uuid.UUID
    dossier_code: str
    sequence: int
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def idempotency_key(self) -> str:
        return f"dossier-event-{self.event_id}"

    def __repr__(self) -> str:  # the payload stays out of tracebacks and logs
        return (
            f"DossierEvent({self.event_id}, {self.dossier_code!r}, #{self.sequence}, {self.kind!r})"
        )


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    event_id: uuid.UUID
    status: AckStatus
    reference: str | None = None


class NationalPortal(Protocol):
    def send_dossier_events(self, events: Sequence[DossierEvent]) -> list[Acknowledgement]:
        """Delivers `events` (safe to call again with the same events) and returns the
        acknowledgements received, in the order of `events`; an event missing from the
        result was not acknowledged. Raises IntegrationUnavailable, IntegrationRefused or
        IntegrationProtocolError."""
        ...


def batch_key(events: Sequence[DossierEvent]) -> str:
    """The batch's idempotency key: the same events make the same key, in any order."""
    digest = hashlib.sha256("\n".join(sorted(e.idempotency_key for e in events)).encode())
    return f"dossier-events-{digest.hexdigest()}"


def _event_json(event: DossierEvent) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "idempotency_key": event.idempotency_key,
        "dossier_code": event.dossier_code,
        "sequence": event.sequence,
        "kind": event.kind,
        "payload": dict(event.payload),
    }


class HttpNationalPortal:
    """The portal over HTTPS (see the module docstring for the wire shape)."""

    def __init__(self, caller: HttpCaller) -> None:
        self._caller = caller

    def close(self) -> None:
        self._caller.close()

    def send_dossier_events(self, events: Sequence[DossierEvent]) -> list[Acknowledgement]:
        if not events:
            return []
        by_id = {e.event_id: e for e in events}
        if len(by_id) != len(events):
            raise ValueError("a batch holds each event once")
        answer = self._caller.post_json(
            EVENTS_PATH,
            {"events": [_event_json(e) for e in events]},
            operation="send_dossier_events",
            idempotency_key=batch_key(events),
        )
        acks = self._acknowledgements(answer, by_id.keys())
        return [acks[e.event_id] for e in events if e.event_id in acks]

    def _acknowledgements(self, answer: Any, sent: Any) -> dict[uuid.UUID, Acknowledgement]:
        items = answer.get("acknowledgements") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise IntegrationProtocolError(SYSTEM, "the answer has no acknowledgements list")
        acks: dict[uuid.UUID, Acknowledgement] = {}
        for item in items:
            ack = _parse_ack(item)
            if ack.event_id not in sent:
                raise IntegrationProtocolError(SYSTEM, "an acknowledgement of an unsent event")
            # A repeated acknowledgement counts once; "accepted" wins over "duplicate".
            if ack.event_id not in acks or ack.status == "accepted":
                acks[ack.event_id] = ack
        return acks


def _parse_ack(item: Any) -> Acknowledgement:
    if not isinstance(item, dict):
        raise IntegrationProtocolError(SYSTEM, "an acknowledgement is no object")
    status = item.get("status")
    reference = item.get("reference")
    if status not in ("accepted", "duplicate"):
        raise IntegrationProtocolError(SYSTEM, "an acknowledgement has an unknown status")
    if reference is not None and not isinstance(reference, str):
        raise IntegrationProtocolError(SYSTEM, "an acknowledgement's reference is no string")
    try:
        event_id = uuid.UUID(str(item.get("event_id")))
    except ValueError as exc:
        raise IntegrationProtocolError(SYSTEM, "an acknowledgement has no event id") from exc
    return Acknowledgement(event_id, status, reference)
