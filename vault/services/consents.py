"""Consent (sự đồng ý): an owner lets an agency read some paper types for a purpose."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from vault import identifiers
from vault.access import audit_draft
from vault.auth import Actor, ActorKind
from vault.db import UnitOfWork
from vault.domain import Consent, new_id
from vault.errors import InvalidInput, NotFound, PermissionDenied

MAX_DAYS = 366


class ConsentService:
    def _owner(self, actor: Actor) -> uuid.UUID:
        if actor.kind is not ActorKind.OWNER or actor.owner_id is None:
            raise PermissionDenied("consent is given by the owner themselves")
        return actor.owner_id

    def give(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        agency_code: str,
        paper_types: list[str],
        purpose: str,
        days: int,
    ) -> Consent:
        owner_id = self._owner(actor)
        agency_code = identifiers.agency_code(agency_code)
        if not uow.accounts.agency_exists(agency_code):
            raise InvalidInput("agency_code", "unknown agency")
        types = sorted(set(paper_types))
        if not types:
            raise InvalidInput("paper_types", "name at least one paper type")
        for t in types:
            if uow.paper_types.get(t) is None:
                raise InvalidInput("paper_types", f"unknown paper type {t!r}")
        purpose = " ".join(identifiers.plain_text(purpose, "purpose").split())
        if not purpose:
            raise InvalidInput("purpose", "say what the agency may use the papers for")
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput("days", f"a consent lasts 1 to {MAX_DAYS} days")
        now = datetime.now(UTC)
        consent = Consent(
            new_id(),
            owner_id,
            agency_code,
            tuple(types),
            purpose,
            now,
            now + timedelta(days=days),
            None,
        )
        uow.consents.add(consent)
        uow.flush()
        uow.record(
            audit_draft(
                actor,
                "consent.give",
                owner_id=owner_id,
                purpose=purpose,
                detail=f"{agency_code}: {','.join(types)}",
            )
        )
        return consent

    def list(self, uow: UnitOfWork, actor: Actor) -> list[Consent]:
        return uow.consents.for_owner(self._owner(actor))

    def get(self, uow: UnitOfWork, actor: Actor, consent_id: uuid.UUID) -> Consent:
        consent = uow.consents.get(consent_id)
        if consent is None or consent.owner_id != self._owner(actor):
            raise NotFound("no such consent")
        return consent

    def revoke(self, uow: UnitOfWork, actor: Actor, consent_id: uuid.UUID) -> Consent:
        consent = self.get(uow, actor, consent_id)
        if consent.revoked_at is None:
            uow.consents.revoke(consent.id, datetime.now(UTC))
            uow.flush()
            uow.record(
                audit_draft(
                    actor,
                    "consent.revoke",
                    owner_id=consent.owner_id,
                    detail=f"{consent.agency_code}",
                )
            )
        return self.get(uow, actor, consent_id)


def receipt(consent: Consent, agency_name: str | None) -> dict[str, Any]:
    """A consent receipt (after the Kantara Consent Receipt fields) the owner keeps."""
    return {
        "version": "vault-consent-receipt/1",
        "consentReceiptID": str(consent.id),
        "consentTimestamp": consent.created_at.isoformat(),
        "piiPrincipalId": str(consent.owner_id),  # the opaque owner id, never the ID number
        "piiControllers": [{"agencyCode": consent.agency_code, "name": agency_name}],
        "services": [
            {
                "purpose": consent.purpose,
                "piiCategories": list(consent.paper_types),
                "expires": consent.expires_at.isoformat(),
            }
        ],
        "revoked": consent.revoked_at.isoformat() if consent.revoked_at else None,
    }
