"""The vault's signature verification report (POST /verifications, and a stored document's
GET .../verification), modelled on the EU DSS simple report: one bottom line for the
document, and per signature an ETSI EN 319 102-1 indication with its sub-indication, the
signer, claimed and proven signing times, timestamps, certificate chain, revocation status,
PAdES level, what the signature covers and what changed after it; per revision, what each
incremental update changed.

The vault's own vocabularies that may grow (change kinds, problem codes, sub-indications,
signature levels) are read into their enum when the SDK knows the value, and kept as the
plain string otherwise: a newer vault never breaks a deployed client's verification.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from enum import StrEnum
from typing import Annotated, TypeAlias, TypeVar

from pydantic import Field

from vault_client.types._base import VaultModel

E = TypeVar("E", bound=StrEnum)

# The enum member when the value is known to this SDK, else the value itself.
Open: TypeAlias = Annotated[E | str, Field(union_mode="left_to_right")]


class Indication(StrEnum):
    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(StrEnum):
    """ETSI EN 319 102-1 sub-indications (§ 5.1.3)."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    SIGNATURE_POLICY_NOT_AVAILABLE = "SIGNATURE_POLICY_NOT_AVAILABLE"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    REVOCATION_OUT_OF_BOUNDS_NO_POE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    GENERIC = "GENERIC"


class SignatureLevel(StrEnum):
    PADES_BASELINE_B = "PAdES-BASELINE-B"
    PADES_BASELINE_T = "PAdES-BASELINE-T"
    PADES_BASELINE_LT = "PAdES-BASELINE-LT"
    PADES_BASELINE_LTA = "PAdES-BASELINE-LTA"
    PKCS7_B = "PKCS7-B"
    PKCS7_T = "PKCS7-T"
    PKCS7_LT = "PKCS7-LT"
    PKCS7_LTA = "PKCS7-LTA"
    UNKNOWN = "UNKNOWN"


class Coverage(StrEnum):
    """What the signature's byte range covers."""

    ENTIRE_FILE = "ENTIRE_FILE"
    ENTIRE_REVISION = "ENTIRE_REVISION"
    PARTIAL = "PARTIAL"  # not a whole revision: nothing after it can be trusted
    UNKNOWN = "UNKNOWN"


class RevocationStatus(StrEnum):
    GOOD = "GOOD"
    REVOKED = "REVOKED"
    UNKNOWN = "UNKNOWN"  # not determined: no usable revocation data


class Severity(StrEnum):
    ERROR = "ERROR"  # makes the signature (or document) fail or indeterminate
    WARNING = "WARNING"
    INFO = "INFO"


class ProblemCode(StrEnum):
    """Why a file could not be validated at all."""

    NOT_A_PDF = "NOT_A_PDF"
    TOO_LARGE = "TOO_LARGE"
    UNREADABLE_PDF = "UNREADABLE_PDF"
    ENCRYPTED = "ENCRYPTED"
    UNSUPPORTED_STRUCTURE = "UNSUPPORTED_STRUCTURE"
    TOO_COMPLEX = "TOO_COMPLEX"
    TIME_LIMIT_EXCEEDED = "TIME_LIMIT_EXCEEDED"
    MEMORY_LIMIT_EXCEEDED = "MEMORY_LIMIT_EXCEEDED"
    VERIFIER_FAILURE = "VERIFIER_FAILURE"


class TimestampKind(StrEnum):
    SIGNATURE_TIMESTAMP = "SIGNATURE_TIMESTAMP"
    DOCUMENT_TIMESTAMP = "DOCUMENT_TIMESTAMP"
    CONTENT_TIMESTAMP = "CONTENT_TIMESTAMP"


class ChangeKind(StrEnum):
    """What one incremental update did, as the vault's own analysis classifies it."""

    SIGNATURE_ADDED = "SIGNATURE_ADDED"
    DOCUMENT_TIMESTAMP_ADDED = "DOCUMENT_TIMESTAMP_ADDED"
    DSS_UPDATED = "DSS_UPDATED"
    METADATA_UPDATED = "METADATA_UPDATED"
    FORM_FILLED = "FORM_FILLED"
    ANNOTATION_ADDED = "ANNOTATION_ADDED"
    ANNOTATION_CHANGED = "ANNOTATION_CHANGED"
    ANNOTATION_REMOVED = "ANNOTATION_REMOVED"
    PAGE_CONTENT_CHANGED = "PAGE_CONTENT_CHANGED"
    PAGE_RESOURCES_CHANGED = "PAGE_RESOURCES_CHANGED"
    PAGE_ATTRIBUTES_CHANGED = "PAGE_ATTRIBUTES_CHANGED"
    PAGES_ADDED = "PAGES_ADDED"
    PAGES_REMOVED = "PAGES_REMOVED"
    SIGNATURE_FIELD_CHANGED = "SIGNATURE_FIELD_CHANGED"
    FORM_STRUCTURE_CHANGED = "FORM_STRUCTURE_CHANGED"
    CATALOG_CHANGED = "CATALOG_CHANGED"
    TRAILER_CHANGED = "TRAILER_CHANGED"
    XREF_REDIRECTED = "XREF_REDIRECTED"
    UNREFERENCED_OBJECTS = "UNREFERENCED_OBJECTS"
    NO_CHANGE = "NO_CHANGE"


class Finding(VaultModel):
    """One fact the verifier established, with a stable machine-readable code."""

    code: str
    severity: Severity
    message: str
    revision: int | None = None


class ValidationProblem(VaultModel):
    """Why the file could not be validated at all (the report's `problem`)."""

    code: Open[ProblemCode]
    message: str


class CertificateInfo(VaultModel):
    subject: str
    common_name: str | None
    organization: str | None
    organizational_unit: str | None
    issuer: str
    serial_number: str  # hex
    not_before: datetime
    not_after: datetime
    sha256: str  # fingerprint, hex
    key: str  # e.g. "RSA-2048", "EC-secp256r1"
    is_trust_anchor: bool = False


class RevocationInfo(VaultModel):
    status: RevocationStatus
    # The time the status holds for: the proven signing time, or the validation time.
    checked_for: datetime | None
    revocation_time: datetime | None = None
    reason: str | None = None
    source: str = ""  # "embedded (DSS)", "embedded (DSS) + fetched", "none"


class TimestampReport(VaultModel):
    kind: TimestampKind
    indication: Indication
    sub_indication: Open[SubIndication] | None
    production_time: datetime | None
    tsa: str | None
    digest_algorithm: str | None
    message_imprint_ok: bool | None
    token_sha256: str
    errors: list[str] = Field(default_factory=list)
    field_name: str | None = None  # document timestamps: their signature field
    revision: int | None = None  # document timestamps: the revision they sign


class SignatureScope(VaultModel):
    """What the signature covers."""

    byte_range: list[int]
    coverage: Coverage
    signed_revision: int | None  # 0-based, of `revisions`
    revisions: int
    signed_bytes: int
    file_size: int
    pages_signed: int | None
    later_revisions: list[int]


class Modifications(VaultModel):
    """What changed after the signature, and whether the signer's policy permits it."""

    permitted: bool
    pyhanko_level: str | None  # pyHanko's own difference analysis, for comparison only
    pyhanko_docmdp_ok: bool | None
    docmdp: int | None  # P of the DocMDP in force (1, 2, 3), or None
    field_lock: str | None
    changes: list[Open[ChangeKind]]  # over every later revision
    findings: list[Finding]


class AdesResult(VaultModel):
    """The AdES verdict before the vault's modification checks are combined in."""

    indication: Indication
    sub_indication: Open[SubIndication] | None
    details: str = ""


class SignatureReport(VaultModel):
    id: str
    field_name: str | None
    indication: Indication
    sub_indication: Open[SubIndication] | None
    errors: list[str]
    warnings: list[str]
    infos: list[str]
    level: Open[SignatureLevel]
    sub_filter: str | None
    signer: CertificateInfo | None
    claimed_signing_time: datetime | None
    proven_signing_time: datetime | None  # from a validated timestamp
    signature_timestamps: list[TimestampReport]
    certificate_chain: list[CertificateInfo]
    trust_anchor: str | None
    revocation: RevocationInfo | None
    digest_algorithm: str | None
    signature_algorithm: str | None
    scope: SignatureScope | None
    modifications: Modifications | None
    certification: bool  # a certification (DocMDP) signature
    ades: AdesResult | None
    signature_value_b64: str | None = None
    signed_attributes_sha256: str | None = None

    @property
    def passed(self) -> bool:
        return self.indication is Indication.TOTAL_PASSED


class ObjectChange(VaultModel):
    ref: str  # "12 0"
    change: str  # "added", "changed", "freed", "redirected"
    type: str | None  # /Page, /Annot, /Sig, stream …


class PageChange(VaultModel):
    page: int  # 1-based, in the newer revision
    content: bool
    resources: bool
    attributes: bool


class RevisionReport(VaultModel):
    index: int  # 0 is the original document
    end_offset: int
    changes: list[Open[ChangeKind]]
    objects_added: int
    objects_changed: int
    objects_freed: int
    changed_objects: list[ObjectChange]  # capped; the objects_* counts are complete
    pages: int | None
    pages_changed: list[PageChange]
    annotations_added: list[str]
    annotations_changed: list[str]
    annotations_removed: list[str]
    fields_changed: list[str]
    signature_fields_added: list[str]
    catalog_keys_changed: list[str]
    findings: list[Finding]
    analysed: bool = True  # False for revisions before the first signed one


class DocumentInfo(VaultModel):
    size: int
    sha256: str
    pdf_version: str | None
    revisions: int
    pages: int | None


class SignatureSummary(VaultModel):
    """One signature in plain words (in the report's `summaries.lang`)."""

    id: str
    indication: Open[Indication]
    summary: str  # "Valid signature: <signer>, signed at <time> (<how the time is known>)."
    reasons: list[str]  # why it is not valid (empty when it is)
    changes_after_signing: str
    certificate: str | None  # serial, issuer, validity
    trust_anchor: str


class Summaries(VaultModel):
    """The report in plain words, Vietnamese ("vi") or English ("en") as asked with
    `language=` (English by default): worded from the structured fields, so both languages
    say the same. `indication` is the bottom line, or "NO_SIGNATURE"."""

    lang: str
    indication: str
    verdict: str
    problem: str | None
    signatures: list[SignatureSummary]


class RecordKind(StrEnum):
    CERTIFIED_COPY = "certified_copy"  # bản sao điện tử có chứng thực
    ISSUED_RESULT = "issued_result"  # a signed result the vault issued


class FoundBy(StrEnum):
    SAME_FILE = "same_file"  # the file's SHA-256 is the record's
    RECORD_THEN_CHANGES = "record_then_changes"  # the record, with updates appended
    CODE_IN_FILE = "code_in_file"  # the verification code printed in the file
    CODE_GIVEN = "code_given"


class OnRecord(VaultModel):
    """The paper of the vault a verified file is (or claims to be): a certified copy or a
    signed result, which one (number, book, office, date), and whether the file is byte for
    byte the one on record (`identical`). Never whose paper it is. `heading` and `status`
    say it in the report's language."""

    kind: Open[RecordKind]
    identical: bool
    found_by: Open[FoundBy]
    number: str | None  # "15/ĐT" for a copy; the result's số ký hiệu
    book: str | None  # the copy's book (quyển số)
    office_code: str | None
    office_name: str | None
    date: dt.date | None  # certified on / issued on
    paper_type: str
    title: str
    record_sha256: str
    current: bool  # the record is still the paper's current version
    heading: str
    status: str


class VerificationReport(VaultModel):
    """The vault's verdict on a PDF's signatures. `bottom_line` is TOTAL_PASSED only when
    every signature passed and nothing changed after signing beyond what is allowed; a
    failed signature is a report, not an error. `problem` says why a file could not be
    validated at all."""

    bottom_line: Indication
    sub_indication: Open[SubIndication] | None
    summary: str
    validation_time: datetime
    offline: bool
    policy: str
    document: DocumentInfo | None
    signatures: list[SignatureReport]
    document_timestamps: list[TimestampReport]
    revisions: list[RevisionReport]
    findings: list[Finding]
    problem: ValidationProblem | None = None
    elapsed_ms: int | None = None
    # The vault's plain words on the report (by `language=`); None from an older vault.
    summaries: Summaries | None = None
    # For an uploaded file: the vault's paper it is, or None (also for a stored document,
    # which is on record by definition, and from an older vault).
    on_record: OnRecord | None = None

    @property
    def passed(self) -> bool:
        return self.bottom_line is Indication.TOTAL_PASSED

    @property
    def validated(self) -> bool:
        """False when the file could not be validated at all (see `problem`)."""
        return self.problem is None
