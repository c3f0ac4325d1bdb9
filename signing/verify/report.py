"""The verification report: data, not exceptions (cf. pyHanko's `sign/validation/status.py`).

Modelled on the EU DSS simple report: one bottom line for the document, and per signature
an ETSI EN 319 102-1 indication (TOTAL_PASSED / TOTAL_FAILED / INDETERMINATE) with its
sub-indication, the signer, claimed and proven signing time, timestamps, certificate chain,
revocation status, PAdES level, what the signature covers and what changed after it. Per
revision: what the incremental update changed, from our own analysis.

Every type here is a frozen dataclass of plain values (str, int, datetime, enums, tuples),
so a report crosses the worker-process boundary as JSON and is rebuilt exactly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import TypeAdapter


class Indication(enum.StrEnum):
    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(enum.StrEnum):
    """ETSI EN 319 102-1 sub-indications (§ 5.1.3). EXPIRED is used with TOTAL_FAILED when
    a proof of existence shows the signature was made after the certificate expired."""

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


class SignatureLevel(enum.StrEnum):
    PADES_BASELINE_B = "PAdES-BASELINE-B"
    PADES_BASELINE_T = "PAdES-BASELINE-T"
    PADES_BASELINE_LT = "PAdES-BASELINE-LT"
    PADES_BASELINE_LTA = "PAdES-BASELINE-LTA"
    PKCS7_B = "PKCS7-B"
    PKCS7_T = "PKCS7-T"
    PKCS7_LT = "PKCS7-LT"
    PKCS7_LTA = "PKCS7-LTA"
    UNKNOWN = "UNKNOWN"


class Coverage(enum.StrEnum):
    """What the /ByteRange covers (pyHanko's SignatureCoverageLevel, cross-checked by us)."""

    ENTIRE_FILE = "ENTIRE_FILE"
    ENTIRE_REVISION = "ENTIRE_REVISION"
    PARTIAL = "PARTIAL"  # not a whole revision: nothing after it can be trusted
    UNKNOWN = "UNKNOWN"


class RevocationStatus(enum.StrEnum):
    GOOD = "GOOD"
    REVOKED = "REVOKED"
    UNKNOWN = "UNKNOWN"  # not determined: no usable revocation data


class Severity(enum.StrEnum):
    ERROR = "ERROR"  # makes the signature (or document) fail or indeterminate
    WARNING = "WARNING"
    INFO = "INFO"


class ProblemCode(enum.StrEnum):
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


class TimestampKind(enum.StrEnum):
    SIGNATURE_TIMESTAMP = "SIGNATURE_TIMESTAMP"
    DOCUMENT_TIMESTAMP = "DOCUMENT_TIMESTAMP"
    CONTENT_TIMESTAMP = "CONTENT_TIMESTAMP"


class ChangeKind(enum.StrEnum):
    """What one incremental update did, as our own analysis classifies it."""

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
    # What writers change without changing what was signed: viewer settings, /Perms, name
    # trees, the opening view, the form's default appearance, unused resources. Permitted,
    # reported as warnings (EU DSS: "undefined changes", a warning by default).
    WRITER_ARTEFACT = "WRITER_ARTEFACT"
    NO_CHANGE = "NO_CHANGE"


@dataclass(frozen=True)
class Finding:
    """One fact the verifier established, with a stable machine-readable code."""

    code: str
    severity: Severity
    message: str
    revision: int | None = None


@dataclass(frozen=True)
class Problem:
    """The structured "cannot be validated: why"."""

    code: ProblemCode
    message: str


@dataclass(frozen=True)
class CertificateInfo:
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


@dataclass(frozen=True)
class RevocationInfo:
    status: RevocationStatus
    # The time for which the status holds: the proven signing time (long-term validation)
    # or the validation time.
    checked_for: datetime | None
    revocation_time: datetime | None = None
    reason: str | None = None
    source: str = ""  # "embedded (DSS)", "embedded (DSS) + fetched", "none"


@dataclass(frozen=True)
class TimestampReport:
    kind: TimestampKind
    indication: Indication
    sub_indication: SubIndication | None
    production_time: datetime | None
    tsa: str | None
    digest_algorithm: str | None
    message_imprint_ok: bool | None
    token_sha256: str
    errors: tuple[str, ...] = ()
    field_name: str | None = None  # document timestamps: their signature field
    revision: int | None = None  # document timestamps: the revision they sign


@dataclass(frozen=True)
class SignatureScope:
    """What the signature covers."""

    byte_range: tuple[int, ...]
    coverage: Coverage
    signed_revision: int | None  # 0-based; the document has `revisions` revisions
    revisions: int
    signed_bytes: int
    file_size: int
    pages_signed: int | None
    later_revisions: tuple[int, ...]


@dataclass(frozen=True)
class Modifications:
    """What changed after the signature, and whether the signer's policy permits it."""

    permitted: bool
    # pyHanko's difference analysis, kept for comparison: NONE, LTA_UPDATES,
    # FORM_FILLING, ANNOTATIONS, OTHER, or ERROR when it failed. Never trusted alone.
    pyhanko_level: str | None
    pyhanko_docmdp_ok: bool | None
    docmdp: int | None  # P of the DocMDP in force for this signature (1, 2, 3) or None
    field_lock: str | None  # FieldMDP / Lock summary
    changes: tuple[ChangeKind, ...]  # union over the later revisions
    findings: tuple[Finding, ...]
    refused: tuple[ChangeKind, ...] = ()  # the changes that are not permitted
    # Pages whose rendering differs between the signed revision and the final file (the
    # first 20 pages); None when not compared (nothing but validation data changed, or
    # the rendering failed).
    visual_difference_pages: tuple[int, ...] | None = None
    # Annotations added after the signature that lie over text of the signed revision.
    annotations_overlapping_text: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdesResult:
    """The AdES verdict before our modification checks are combined in, for transparency."""

    indication: Indication
    sub_indication: SubIndication | None
    details: str = ""


@dataclass(frozen=True)
class IntegrityFacts:
    """Per-signature integrity facts, each established on its own (as the EU DSS
    validation report lists them); None where it could not be established."""

    # The signature value verifies with the signer's public key.
    signature_intact: bool | None
    # The signed messageDigest attribute equals the digest of the /ByteRange content.
    message_digest_match: bool | None
    # Starts at 0, the one gap is exactly this /Contents, no overlap, within the file, and
    # ends where the revision that holds the signature dictionary ends.
    byte_range_valid: bool | None
    # The signature dictionary is part of the revision it signs and unchanged after.
    signature_dictionary_consistent: bool | None
    # SignerInfos in the CMS; a PAdES signature has exactly one.
    signer_infos: int | None


@dataclass(frozen=True)
class SignatureReport:
    id: str
    field_name: str | None
    indication: Indication
    sub_indication: SubIndication | None
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    infos: tuple[str, ...]
    level: SignatureLevel
    sub_filter: str | None
    signer: CertificateInfo | None
    claimed_signing_time: datetime | None
    proven_signing_time: datetime | None  # best-signature-time from a validated timestamp
    signature_timestamps: tuple[TimestampReport, ...]
    certificate_chain: tuple[CertificateInfo, ...]
    trust_anchor: str | None
    revocation: RevocationInfo | None
    digest_algorithm: str | None
    signature_algorithm: str | None
    scope: SignatureScope | None
    modifications: Modifications | None
    certification: bool  # a certification (DocMDP) signature
    ades: AdesResult | None
    # For the ETSI TS 119 102-2 report's signature identifier.
    signature_value_b64: str | None = None
    signed_attributes_sha256: str | None = None
    integrity: IntegrityFacts | None = None
    # What was found, by stable code: the attack classes (SIGNATURE_WRAPPING,
    # UNIVERSAL_SIGNATURE_FORGERY, SHADOW_ATTACK_HIDE, INCREMENTAL_SAVING_ATTACK, ...) and
    # each failed integrity check.
    findings: tuple[Finding, ...] = ()

    @property
    def passed(self) -> bool:
        return self.indication is Indication.TOTAL_PASSED


@dataclass(frozen=True)
class ObjectChange:
    ref: str  # "12 0"
    change: str  # "added", "changed", "freed", "redirected"
    type: str | None  # /Page, /Annot, /Sig, stream ...


@dataclass(frozen=True)
class PageChange:
    page: int  # 1-based, in the newer revision
    content: bool
    resources: bool
    attributes: bool


@dataclass(frozen=True)
class RevisionReport:
    index: int  # 0 = the original document
    end_offset: int  # bytes from the start of the file to the end of this revision
    changes: tuple[ChangeKind, ...]
    objects_added: int
    objects_changed: int
    objects_freed: int
    changed_objects: tuple[ObjectChange, ...]  # capped; see objects_* for the counts
    pages: int | None
    pages_changed: tuple[PageChange, ...]
    annotations_added: tuple[str, ...]
    annotations_changed: tuple[str, ...]
    annotations_removed: tuple[str, ...]
    fields_changed: tuple[str, ...]
    signature_fields_added: tuple[str, ...]
    catalog_keys_changed: tuple[str, ...]
    findings: tuple[Finding, ...]
    # False for revisions before the first signed one: all signatures cover them whole.
    analysed: bool = True
    pages_added: tuple[int, ...] = ()  # 1-based, as numbered in this revision
    pages_removed: tuple[int, ...] = ()  # 1-based, as numbered in the revision before


@dataclass(frozen=True)
class DocumentInfo:
    size: int
    sha256: str
    pdf_version: str | None
    revisions: int
    pages: int | None
    encrypted: bool = False  # opened with the empty user password
    read_leniently: bool = False  # the cross-reference structure deviates from the standard
    hybrid_xref: bool = False  # /XRefStm in a classic trailer
    # Signature dictionaries a scan of the bytes found, when the file cannot be read.
    signatures_found: int | None = None


@dataclass(frozen=True)
class VerificationReport:
    bottom_line: Indication
    sub_indication: SubIndication | None
    summary: str
    validation_time: datetime
    offline: bool
    policy: str
    document: DocumentInfo | None
    signatures: tuple[SignatureReport, ...]
    document_timestamps: tuple[TimestampReport, ...]
    revisions: tuple[RevisionReport, ...]
    findings: tuple[Finding, ...]
    problem: Problem | None = None  # set when the file could not be validated at all
    elapsed_ms: int | None = None

    @property
    def validated(self) -> bool:
        return self.problem is None

    @property
    def passed(self) -> bool:
        return self.bottom_line is Indication.TOTAL_PASSED

    def to_json(self) -> bytes:
        return _adapter().dump_json(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible (datetimes as ISO 8601 strings, enums as their values)."""
        data: dict[str, Any] = _adapter().dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, raw: bytes | str) -> VerificationReport:
        return _adapter().validate_json(raw)


@cache
def _adapter() -> TypeAdapter[VerificationReport]:
    # Built on first use: it compiles a validator for the whole tree (~50 ms).
    return TypeAdapter(VerificationReport)


def worst(indications: list[Indication]) -> Indication:
    """FAILED beats INDETERMINATE beats PASSED; nothing to judge is INDETERMINATE."""
    if not indications:
        return Indication.INDETERMINATE
    if Indication.TOTAL_FAILED in indications:
        return Indication.TOTAL_FAILED
    if Indication.INDETERMINATE in indications:
        return Indication.INDETERMINATE
    return Indication.TOTAL_PASSED


def cannot_validate(
    code: ProblemCode,
    message: str,
    *,
    offline: bool,
    policy: str,
    document: DocumentInfo | None = None,
    now: datetime | None = None,
) -> VerificationReport:
    """The structured "cannot be validated: why" report."""
    return VerificationReport(
        bottom_line=Indication.INDETERMINATE,
        sub_indication=None,
        summary=f"cannot be validated: {message}",
        validation_time=now or datetime.now(UTC),
        offline=offline,
        policy=policy,
        document=document,
        signatures=(),
        document_timestamps=(),
        revisions=(),
        findings=(Finding(code.value, Severity.ERROR, message),),
        problem=Problem(code, message),
    )
