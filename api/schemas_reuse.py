"""Bodies for sign-in, reuse, consent, the access log, the catalogue and the indicators."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from api.schemas import DocumentOut, DossierOut
from api.schemas_peers import PeerOutcomeOut, ProvenanceOut
from vault.auth import Actor
from vault.domain import Consent, Dossier, Procedure
from vault.services.access_log import AccessRecord
from vault.services.indicators import MonthlyIndicators
from vault.services.remote_reuse import FederatedPlan
from vault.services.reuse import ReusePlan
from vault.services.reuse_rule import Reason


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class LoginRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class OidcRequest(BaseModel):
    id_token: str = Field(max_length=16_384)


class MeOut(BaseModel):
    account_id: uuid.UUID
    kind: str
    name: str
    agency_code: str | None
    roles: list[str]
    owner_id: uuid.UUID | None
    client_id: str | None

    @classmethod
    def of(cls, a: Actor) -> MeOut:
        return cls(
            account_id=a.account_id,
            kind=a.kind.value,
            name=a.name,
            agency_code=a.agency_code,
            roles=sorted(r.value for r in a.roles),
            owner_id=a.owner_id,
            client_id=a.client_id,
        )


class DossierRecordedOut(DossierOut):
    """The answer to recording a dossier: 201 when recorded now, 200 when found."""

    already_recorded: bool = Field(
        description="True when a dossier with this code was already recorded (status 200): "
        "this is that dossier, unchanged. A closed dossier's code is refused (409)."
    )

    @classmethod
    def recorded(cls, d: Dossier, *, already: bool) -> DossierRecordedOut:
        return cls(**DossierOut.of(d).model_dump(), already_recorded=already)


class ReasonOut(BaseModel):
    code: str = Field(examples=["expired"], description="Stable, for software to act on")
    text: str = Field(examples=["expired on 2024-01-10"], description="In English, for people")
    day: date | None = Field(default=None, description="The date it is about (an expiry)")

    @classmethod
    def of(cls, r: Reason) -> ReasonOut:
        return cls(code=r.code, text=r.text, day=r.day)


class CandidateOut(BaseModel):
    document: DocumentOut
    usable: bool
    refusals: list[ReasonOut] = Field(
        description="Why it cannot be used (empty exactly when `usable`): what to tell the "
        "owner before asking for the paper again"
    )
    notes: list[ReasonOut] = Field(
        description="What else is known, whether usable or not: its signature, the result "
        "it stands for"
    )
    reasons: list[str] = Field(
        description="The texts of `refusals`, or of `notes` for a usable paper (kept for "
        "clients written before `refusals` and `notes`)"
    )
    reuse: int = Field(description="The `reused` flag attaching it would record: 1 or 2")
    replacing_result_code: str | None
    attached: bool
    taken_from: ProvenanceOut | None = Field(
        default=None,
        description="For a copy taken from another province's vault: which, and when",
    )


class NeededPaperOut(BaseModel):
    paper_type: str
    component_name: str
    on_file: bool
    action: str = Field(description='"attach", or "ask the owner" when nothing usable is on file')
    candidates: list[CandidateOut]


class ReusePlanOut(BaseModel):
    dossier_id: uuid.UUID
    dossier_code: str
    procedure_code: str
    procedure_name: str
    received_on: date
    needed: list[NeededPaperOut]
    remote: list[PeerOutcomeOut] = Field(
        default_factory=list,
        description="What each peer vault (another province) offers for this dossier, or "
        "that it did not answer in time; empty when no peer is configured or asked",
    )

    @classmethod
    def of(cls, plan: ReusePlan, federated: FederatedPlan | None = None) -> ReusePlanOut:
        provenance = federated.provenance if federated is not None else {}
        return cls(
            dossier_id=plan.dossier.id,
            dossier_code=plan.dossier.code,
            procedure_code=plan.procedure.code,
            procedure_name=plan.procedure.name_vi,
            received_on=plan.received_on,
            needed=[
                NeededPaperOut(
                    paper_type=n.paper_type,
                    component_name=n.component_name,
                    on_file=n.on_file,
                    action=n.action,
                    candidates=[
                        CandidateOut(
                            document=DocumentOut.of(c.document),
                            usable=c.usable,
                            refusals=[ReasonOut.of(r) for r in c.refusals],
                            notes=[ReasonOut.of(r) for r in c.notes],
                            reasons=[str(r) for r in c.reasons],
                            reuse=int(c.reuse),
                            replacing_result_code=c.replacing_result_code,
                            attached=c.attached,
                            taken_from=ProvenanceOut.of(provenance[c.document.id])
                            if c.document.id in provenance
                            else None,
                        )
                        for c in n.candidates
                    ],
                )
                for n in plan.needed
            ],
            remote=[PeerOutcomeOut.of(o) for o in federated.peers] if federated else [],
        )


class ConsentCreate(BaseModel):
    agency_code: str = Field(examples=["000.00.15.H57"])
    paper_types: list[str] = Field(examples=[["birth_certificate"]], max_length=20)
    purpose: str = Field(max_length=500, examples=["Hồ sơ vay vốn"])
    days: int = Field(default=90, ge=1, le=366)


class ConsentOut(BaseModel):
    id: uuid.UUID
    agency_code: str
    paper_types: list[str]
    purpose: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, c: Consent, now: datetime) -> ConsentOut:
        return cls(
            id=c.id,
            agency_code=c.agency_code,
            paper_types=list(c.paper_types),
            purpose=c.purpose,
            created_at=c.created_at,
            expires_at=c.expires_at,
            revoked_at=c.revoked_at,
            active=c.active_at(now),
        )


class AccessRecordOut(BaseModel):
    seq: int
    at: datetime
    who: str | None
    agency_code: str | None
    agency_name: str | None
    role: str | None
    action: str
    outcome: str
    document_id: uuid.UUID | None
    dossier_id: uuid.UUID | None
    dossier_code: str | None
    procedure_code: str | None
    purpose: str | None

    @classmethod
    def of(cls, r: AccessRecord) -> AccessRecordOut:
        return cls(
            seq=r.seq,
            at=r.at,
            who=r.who,
            agency_code=r.agency_code,
            agency_name=r.agency_name,
            role=r.role,
            action=r.action,
            outcome=r.outcome,
            document_id=r.document_id,
            dossier_id=r.dossier_id,
            dossier_code=r.dossier_code,
            procedure_code=r.procedure_code,
            purpose=r.purpose,
        )


class RequirementIO(BaseModel):
    paper_type: str
    component_name: str
    replacing_result_codes: list[str] = []


class ProcedureIO(BaseModel):
    code: str = Field(examples=["1.001193"])
    name_vi: str
    returns_result: bool = True
    requirements: list[RequirementIO]

    @classmethod
    def of(cls, p: Procedure) -> ProcedureIO:
        return cls(
            code=p.code,
            name_vi=p.name_vi,
            returns_result=p.returns_result,
            requirements=[
                RequirementIO(
                    paper_type=r.paper_type,
                    component_name=r.component_name,
                    replacing_result_codes=list(r.replacing_result_codes),
                )
                for r in p.requirements
            ],
        )


class IndicatorOut(BaseModel):
    code: str
    name: str
    numerator: int
    denominator: int
    percent: float | None


class IndicatorsOut(BaseModel):
    agency_code: str
    month: str
    dossiers_received: int
    indicators: list[IndicatorOut]

    @classmethod
    def of(cls, m: MonthlyIndicators) -> IndicatorsOut:
        return cls(
            agency_code=m.agency_code,
            month=m.month,
            dossiers_received=m.dossiers_received,
            indicators=[
                IndicatorOut(
                    code=i.code,
                    name=i.name,
                    numerator=i.numerator,
                    denominator=i.denominator,
                    percent=i.percent,
                )
                for i in m.indicators
            ],
        )
