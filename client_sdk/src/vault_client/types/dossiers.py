from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from vault_client.types._base import VaultModel
from vault_client.types.documents import Document
from vault_client.types.enums import AttachmentRole, DossierStatus, Reuse
from vault_client.types.peers import PeerOutcome, Provenance


class Dossier(VaultModel):
    """A procedure dossier (hồ sơ TTHC) an agency received for an owner."""

    id: uuid.UUID
    dossier_code: str
    procedure_code: str
    receiving_agency_code: str
    owner_id: uuid.UUID
    received_at: datetime
    created_at: datetime
    status: DossierStatus
    returned_at: datetime | None = None  # the result was handed back (NgayTra)
    already_recorded: bool = Field(
        default=False,
        description="Only from `dossiers.create`: True when the vault already had this open "
        "dossier under the code (nothing new was recorded)",
    )


class Attachment(VaultModel):
    """A dossier component or result, with the national sync payload's flags."""

    dossier_id: uuid.UUID
    document_id: uuid.UUID
    attached_at: datetime
    role: AttachmentRole
    digitised: bool
    reused: Reuse
    from_warehouse: bool
    replacing_result_code: str | None
    result_code: str | None


class ReuseReason(VaultModel):
    """Why a paper cannot be used, or a note on it: `code` is stable (act on it), `text`
    is English for people, `day` the date it is about (an expiry)."""

    code: str
    text: str
    day: date | None = None

    def __str__(self) -> str:
        return self.text


class Candidate(VaultModel):
    """A paper on file that could fill a need, and why it can or cannot be used.

    `refusals` says why it cannot (empty exactly when `usable`): what to tell the citizen
    before asking for the paper again. `notes` are what else is known either way (its
    signature, the result it stands for). `reasons` is the older mix of the two: the texts
    of the refusals, or of the notes of a usable paper."""

    document: Document
    usable: bool
    refusals: list[ReuseReason] = Field(default_factory=list)
    notes: list[ReuseReason] = Field(default_factory=list)
    reasons: list[str]
    reuse: Reuse = Field(description="The `reused` flag attaching it would record")
    replacing_result_code: str | None
    attached: bool
    taken_from: Provenance | None = Field(
        default=None, description="For a copy taken from another province's vault: which"
    )


class NeededPaper(VaultModel):
    paper_type: str
    component_name: str
    on_file: bool
    action: str  # "attach", or "ask the owner" when nothing usable is on file
    candidates: list[Candidate]

    @property
    def usable(self) -> list[Candidate]:
        """The candidates that may be attached, best first."""
        return [c for c in self.candidates if c.usable]


class ReusePlan(VaultModel):
    """Which papers the dossier's procedure needs, which are on file and valid on the day the
    dossier was received, and why the others are not."""

    dossier_id: uuid.UUID
    dossier_code: str
    procedure_code: str
    procedure_name: str
    received_on: date
    needed: list[NeededPaper]
    remote: list[PeerOutcome] = Field(
        default_factory=list,
        description="What each peer vault (another province) offers, or that it did not answer",
    )

    @property
    def to_ask(self) -> list[NeededPaper]:
        """Needs with nothing usable on file: only these may be asked of the owner."""
        return [n for n in self.needed if not n.on_file]


class TakenPaper(VaultModel):
    """A paper taken from a peer vault: attached (reused = 1), its copy here, and where from."""

    attachment: Attachment
    document: Document
    taken_from: Provenance
