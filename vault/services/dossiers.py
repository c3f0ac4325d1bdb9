"""Dossiers (hồ sơ TTHC) received by an agency, the papers attached to them, their results."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from vault import identifiers
from vault.access import AccessPolicy, audit_draft
from vault.auth import Actor, ActorKind, Role
from vault.db import UnitOfWork
from vault.domain import (
    AttachmentRole,
    DocumentStatus,
    Dossier,
    DossierAttachment,
    DossierStatus,
    Page,
    Reuse,
    new_id,
)
from vault.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from vault.services import cursors
from vault.services.portal_payload import EventKind
from vault.services.portal_sync import record_event
from vault.services.signatures import SignatureService

# Dossier codes carry the receiving day in Vietnam's time zone (UTC+7, no daylight saving).
VIETNAM = timezone(timedelta(hours=7), "ICT")
RESULT_CODE = re.compile(r"KQ\.G\d{2}\.\d{6}")


def result_code(value: str, field: str) -> str:
    """Mã kết quả from the national catalogue: `KQ.Gnn.nnnnnn`."""
    v = value.strip()
    if not RESULT_CODE.fullmatch(v):
        raise InvalidInput(field, "a result code looks like KQ.G15.000031")
    return v


# The sequence number within a day is four digits: 0001 to 9999.
_LAST_SEQUENCE = 9_999


def next_dossier_code(agency: str, day: date, taken: Collection[str]) -> str:
    """Số hồ sơ: the lowest free `<agency>-YYMMDD-NNNN` of `day` (a gap left by a number
    typed by hand is filled first), given the codes already `taken`."""
    prefix = f"{agency}-{day:%y%m%d}-"
    for seq in range(1, _LAST_SEQUENCE + 1):
        code = f"{prefix}{seq:04d}"
        if code not in taken:
            return code
    raise Conflict("every dossier number of today is taken")


def carry_result_to_signed_version(
    uow: UnitOfWork, actor: Actor, draft_id: uuid.UUID, signed_id: uuid.UUID
) -> int:
    """A signed result replaces its draft as the result of the dossiers the draft was
    recorded for (same result code; the draft stays attached, on record), and the portal
    hears of the signature. The number of dossiers."""
    dossiers = 0
    for dossier_id in uow.dossiers.dossiers_with_result(draft_id):
        draft = uow.dossiers.attachment(dossier_id, draft_id)
        if draft is None or uow.dossiers.attachment(dossier_id, signed_id) is not None:
            continue
        uow.dossiers.attach(
            DossierAttachment(
                dossier_id,
                signed_id,
                datetime.now(UTC),
                role=AttachmentRole.RESULT,
                result_code=draft.result_code,
            )
        )
        uow.flush()
        record_event(uow, dossier_id, EventKind.RESULT_SIGNED, by=actor.name)
        dossiers += 1
    return dossiers


@dataclass(frozen=True, slots=True)
class NewDossier:
    code: str
    procedure_code: str
    owner_id: uuid.UUID
    receiving_agency_code: str | None = None
    received_at: datetime | None = None


class DossierService:
    def __init__(self, access: AccessPolicy, signatures: SignatureService) -> None:
        self._access = access
        self._signatures = signatures

    def require_receiving_officer(
        self, uow: UnitOfWork, actor: Actor, owner_id: uuid.UUID | None
    ) -> None:
        """Only a receiving officer records dossiers. A refusal is audited with the owner
        named (when known), so the owner sees the attempt."""
        if not actor.has(Role.RECEIVING_OFFICER):
            raise self._access.deny(
                uow,
                actor,
                "dossier.create",
                "this needs the role: receiving_officer",
                owner_id=owner_id,
            )

    def next_code(self, uow: UnitOfWork, agency: str, now: datetime | None = None) -> str:
        """The number the next dossier `agency` receives today (Vietnam time) would get: the
        lowest free one, read with one query."""
        day = (now or datetime.now(UTC)).astimezone(VIETNAM).date()
        taken = uow.dossiers.codes_starting(f"{agency}-{day:%y%m%d}-")
        return next_dossier_code(agency, day, taken)

    def create(self, uow: UnitOfWork, actor: Actor, new: NewDossier) -> tuple[Dossier, bool]:
        """A receiving officer records a dossier their agency received. Idempotent on the code
        while the dossier is open: the second value is False when it was already recorded.
        A closed dossier's code is a Conflict, never the closed dossier. A refusal is audited
        with the owner named, so the owner sees the attempt."""
        self.require_receiving_officer(uow, actor, new.owner_id)
        code, agency, day = identifiers.dossier_code(new.code)
        procedure = identifiers.procedure_code(new.procedure_code)
        if new.receiving_agency_code is not None:
            given = identifiers.agency_code(new.receiving_agency_code, "receiving_agency_code")
            if given != agency:
                raise InvalidInput(
                    "receiving_agency_code",
                    f"the dossier code says the receiving agency is {agency}",
                )
        if agency != actor.agency_code:
            raise self._access.deny(
                uow,
                actor,
                "dossier.create",
                "the dossier code names another receiving agency",
                owner_id=new.owner_id,
            )
        received_at = new.received_at or datetime.now(UTC)
        if received_at.tzinfo is None:
            raise InvalidInput("received_at", "give a time zone (e.g. +07:00 or Z)")
        if received_at.astimezone(VIETNAM).date() != day:
            raise InvalidInput(
                "received_at", f"the dossier code says it was received on {day.isoformat()}"
            )
        if uow.procedures.get(procedure) is None:
            raise InvalidInput("procedure_code", "this procedure is not in the catalogue")
        if uow.owners.get(new.owner_id) is None:
            raise InvalidInput("owner_id", "no such owner")

        existing = uow.dossiers.by_code(code)
        if existing is not None:
            same = (existing.procedure_code, existing.owner_id) == (procedure, new.owner_id)
            if not same:
                raise Conflict("a different dossier already has this code")
            if existing.status is not DossierStatus.OPEN:
                # Handing back the closed one would let a new filing attach to nothing.
                raise Conflict(
                    f"dossier {code} is {existing.status.value}: a new filing needs a new "
                    "dossier code (the next number of the day)"
                )
            return existing, False
        dossier = Dossier(
            id=new_id(),
            code=code,
            procedure_code=procedure,
            receiving_agency_code=agency,
            owner_id=new.owner_id,
            received_at=received_at.astimezone(UTC),
            created_at=datetime.now(UTC),
        )
        uow.dossiers.add(dossier)
        uow.flush()
        record_event(uow, dossier.id, EventKind.RECEIVED, by=actor.name)
        uow.record(
            audit_draft(actor, "dossier.create", owner_id=dossier.owner_id, dossier_id=dossier.id)
        )
        return dossier, True

    def get(self, uow: UnitOfWork, actor: Actor, dossier_id: uuid.UUID) -> Dossier:
        dossier = uow.dossiers.get(dossier_id)
        if dossier is None:
            raise NotFound("no such dossier")
        if actor.kind is ActorKind.OWNER:
            allowed = actor.owner_id == dossier.owner_id
        else:
            allowed = actor.agency_code == dossier.receiving_agency_code and actor.has(
                Role.RECEIVING_OFFICER,
                Role.ISSUING_OFFICER,
                Role.CERTIFYING_OFFICER,
                Role.AUDITOR,
            )
        if not allowed:
            raise self._access.deny(
                uow,
                actor,
                "dossier.read",
                "not a dossier of your agency",
                dossier_id=dossier.id,
                owner_id=dossier.owner_id,
            )
        return dossier

    def list_for_owner(
        self,
        uow: UnitOfWork,
        actor: Actor,
        owner_id: uuid.UUID,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Dossier]:
        """The owner sees all their dossiers; an officer, those their agency received."""
        limit = cursors.check_limit(limit)
        if uow.owners.get(owner_id) is None:
            raise NotFound("no such owner")
        if actor.kind is ActorKind.OWNER:
            if actor.owner_id != owner_id:
                raise PermissionDenied("an owner sees only their own dossiers")
            agency = None
        else:
            actor.require(Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER, Role.CERTIFYING_OFFICER)
            agency = actor.agency_code
        rows = uow.dossiers.list_for_owner(
            owner_id, before_id=cursors.decode(cursor), limit=limit + 1, agency=agency
        )
        items = rows[:limit]
        return Page(items, cursors.encode(items[-1].id) if len(rows) > limit else None)

    def attach(
        self,
        uow: UnitOfWork,
        actor: Actor,
        dossier_id: uuid.UUID,
        document_id: uuid.UUID,
        *,
        reused: Reuse = Reuse.YES,
        replacing_result_code: str | None = None,
    ) -> tuple[DossierAttachment, bool]:
        """Reuse (tái sử dụng): attaches a paper already in the owner's warehouse to the
        dossier, recording the national sync payload's flags. Idempotent."""
        dossier = self._open_dossier_of_agency(uow, actor, dossier_id, "dossier.attach")
        document = uow.documents.get(document_id)
        if document is None or document.owner_id != dossier.owner_id:
            # Same answer for "absent" and "someone else's": no probing of other warehouses.
            raise InvalidInput("document_id", "no such document in this owner's warehouse")
        if document.status is not DocumentStatus.CURRENT:
            raise Conflict("this version is superseded: attach the current one")
        self._access.check_document(uow, actor, document, "dossier.attach")
        if reused is Reuse.NO:
            raise InvalidInput("reused", "attaching from the warehouse is reuse: 1 or 2")
        if reused is Reuse.BY_REPLACING_RESULT:
            if replacing_result_code is None:
                raise InvalidInput("replacing_result_code", "name the result that replaces it")
            replacing_result_code = result_code(replacing_result_code, "replacing_result_code")
        elif replacing_result_code is not None:
            raise InvalidInput("replacing_result_code", "only with reused = 2")
        existing = uow.dossiers.attachment(dossier_id, document_id)
        if existing is not None:
            return existing, False
        # The same rule as the reuse plan's, whichever way the attach comes in.
        self._signatures.require_acceptable(uow, document)
        attachment = DossierAttachment(
            dossier_id,
            document_id,
            datetime.now(UTC),
            reused=reused,
            from_warehouse=True,
            replacing_result_code=replacing_result_code,
        )
        uow.dossiers.attach(attachment)
        uow.flush()
        record_event(uow, dossier_id, EventKind.COMPONENT_ATTACHED, by=actor.name)
        return attachment, True

    def add_result(
        self,
        uow: UnitOfWork,
        actor: Actor,
        dossier_id: uuid.UUID,
        document_id: uuid.UUID,
        code: str,
    ) -> DossierAttachment:
        """Records a result (kết quả) the agency issued for the dossier; it stays in the
        owner's warehouse for reuse."""
        actor.require(Role.ISSUING_OFFICER)
        dossier = self.get(uow, actor, dossier_id)
        document = uow.documents.get(document_id)
        if document is None or document.owner_id != dossier.owner_id:
            raise InvalidInput("document_id", "no such document in this owner's warehouse")
        if document.verified_issuer != actor.agency_code:
            raise InvalidInput("document_id", "a result is a paper your agency issued")
        code = result_code(code, "result_code")
        existing = uow.dossiers.attachment(dossier_id, document_id)
        if existing is not None:
            raise Conflict("this document is already attached to the dossier")
        attachment = DossierAttachment(
            dossier_id,
            document_id,
            datetime.now(UTC),
            role=AttachmentRole.RESULT,
            result_code=code,
        )
        uow.dossiers.attach(attachment)
        uow.flush()
        record_event(uow, dossier_id, EventKind.RESULT_RECORDED, by=actor.name)
        uow.record(
            audit_draft(
                actor,
                "dossier.result",
                owner_id=dossier.owner_id,
                dossier_id=dossier.id,
                document_id=document.id,
            )
        )
        return attachment

    def close(self, uow: UnitOfWork, actor: Actor, dossier_id: uuid.UUID) -> Dossier:
        """Ends the dossier: its paper types are no longer open to the agency."""
        actor.require(Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER)
        dossier = self.get(uow, actor, dossier_id)
        if dossier.status is DossierStatus.CLOSED:
            return dossier
        uow.dossiers.set_status(dossier_id, DossierStatus.CLOSED, datetime.now(UTC))
        uow.flush()
        record_event(uow, dossier_id, EventKind.CLOSED, by=actor.name)
        uow.record(
            audit_draft(actor, "dossier.close", owner_id=dossier.owner_id, dossier_id=dossier.id)
        )
        return self.get(uow, actor, dossier_id)

    def mark_returned(self, uow: UnitOfWork, actor: Actor, dossier_id: uuid.UUID) -> Dossier:
        """Trả kết quả: the result was handed back to the owner (NgayTra). Once only; the
        dossier stays open until it is closed."""
        actor.require(Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER)
        dossier = self.get(uow, actor, dossier_id)
        if dossier.status is DossierStatus.CLOSED:
            raise Conflict("the dossier is closed")
        if dossier.returned_at is not None:
            return dossier
        if not any(a.role is AttachmentRole.RESULT for a in uow.dossiers.attachments(dossier_id)):
            raise Conflict("record the dossier's result before returning it")
        uow.dossiers.set_returned(dossier_id, datetime.now(UTC))
        uow.flush()
        record_event(uow, dossier_id, EventKind.RETURNED, by=actor.name)
        uow.record(
            audit_draft(actor, "dossier.return", owner_id=dossier.owner_id, dossier_id=dossier.id)
        )
        return self.get(uow, actor, dossier_id)

    def attachments(
        self, uow: UnitOfWork, actor: Actor, dossier_id: uuid.UUID
    ) -> list[DossierAttachment]:
        self.get(uow, actor, dossier_id)
        return uow.dossiers.attachments(dossier_id)

    def _open_dossier_of_agency(
        self, uow: UnitOfWork, actor: Actor, dossier_id: uuid.UUID, action: str
    ) -> Dossier:
        actor.require(Role.RECEIVING_OFFICER)
        dossier = uow.dossiers.get(dossier_id)
        if dossier is None:
            raise NotFound("no such dossier")
        if dossier.receiving_agency_code != actor.agency_code:
            raise self._access.deny(
                uow,
                actor,
                action,
                "not a dossier of your agency",
                dossier_id=dossier.id,
                owner_id=dossier.owner_id,
            )
        if dossier.status is not DossierStatus.OPEN:
            raise Conflict("the dossier is closed")
        return dossier
