"""The verifier proper, in-process: bytes in, `VerificationReport` out, never an exception.

It runs inside a worker process (see `signing.verify.pool`), which bounds its time and
memory; call it directly only on trusted input or in tests.

The verdict for each signature combines three independent judgements, and the strictest
wins:

1. the byte-level shape of the signature (`structure`): a malformed or wrapped /ByteRange
   or /Contents is TOTAL_FAILED/FORMAT_FAILURE whatever the cryptography says;
2. the AdES validation (`ades`, on pyHanko): integrity, signature value, chain to a
   configured trust anchor, revocation, certificate validity at the proven time;
3. the changes made after the signed revision: our own analysis of every incremental
   update (`changes`) judged against the signer's DocMDP/FieldMDP and the policy, and
   pyHanko's difference analysis. A change either of them rejects fails the signature
   (TOTAL_FAILED/FORMAT_FAILURE, as EU DSS does for its PDF modification checks). The
   default policy follows DSS's default levels: annotations over no signed text, form
   filling into fields that were empty when signed, and DocMDP/FieldMDP violations are
   warnings; a filled field that showed a value when signed, or ink added over signed
   text, fails (shadow "replace", overlay attacks) under every policy.

TOTAL_PASSED is given only when every check ran and passed.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import ObjStreamRef
from pyhanko.sign.diff_analysis import DiffResult
from pyhanko.sign.fields import FieldMDPSpec, enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from signing.verify import ades, visual
from signing.verify.algorithms import signature_mechanism
from signing.verify.changes import AnalysisLimitExceeded, RevisionAnalysis, analyse_revisions
from signing.verify.recovery import EncryptedPdf, open_pdf, scan_signatures
from signing.verify.report import (
    AdesResult,
    ChangeKind,
    Coverage,
    DocumentInfo,
    Finding,
    Indication,
    IntegrityFacts,
    Modifications,
    ProblemCode,
    RevisionReport,
    Severity,
    SignatureLevel,
    SignatureReport,
    SignatureScope,
    SubIndication,
    TimestampReport,
    VerificationReport,
    cannot_validate,
    worst,
)
from signing.verify.sniff import header_version, sniff_pdf
from signing.verify.structure import (
    RevisionBounds,
    check_byte_range,
    count_signature_dictionaries,
    revision_bounds,
    revisions_with_signature_dictionaries,
)
from signing.verify.trust import TrustSettings, VerificationPolicy

# Updates allowed after any signature: long-term validation data, document timestamps and
# document metadata (PAdES; ISO 32000-2 12.8.2.2).
_ALWAYS_PERMITTED = frozenset(
    {
        ChangeKind.NO_CHANGE,
        ChangeKind.DSS_UPDATED,
        ChangeKind.DOCUMENT_TIMESTAMP_ADDED,
        ChangeKind.METADATA_UPDATED,
    }
)
_PADES_SUBFILTER = "/ETSI.CAdES.detached"
# Changes that may legitimately look different on the page (when permitted at all).
_VISIBLE_CHANGES = frozenset(
    {
        ChangeKind.SIGNATURE_ADDED,
        ChangeKind.DOCUMENT_TIMESTAMP_ADDED,
        ChangeKind.FORM_FILLED,
        ChangeKind.ANNOTATION_ADDED,
        ChangeKind.ANNOTATION_CHANGED,
        ChangeKind.ANNOTATION_REMOVED,
        ChangeKind.PAGE_CONTENT_CHANGED,
        ChangeKind.PAGE_RESOURCES_CHANGED,
        ChangeKind.PAGE_ATTRIBUTES_CHANGED,
        ChangeKind.PAGES_ADDED,
        ChangeKind.PAGES_REMOVED,
        ChangeKind.FORM_STRUCTURE_CHANGED,
        ChangeKind.SIGNATURE_FIELD_CHANGED,
        ChangeKind.CATALOG_CHANGED,
        ChangeKind.TRAILER_CHANGED,
        ChangeKind.XREF_REDIRECTED,
    }
)


def analyse_pdf(
    data: bytes,
    trust: TrustSettings,
    *,
    offline: bool,
    policy: VerificationPolicy | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> VerificationReport:
    """Verify every signature in `data`. Never raises for a bad document; MemoryError and
    KeyboardInterrupt pass through (the worker turns the first into a report)."""
    policy = policy or VerificationPolicy()
    started = time.perf_counter()
    now = datetime.now(UTC)
    coro = _analyse(data, trust, offline=offline, policy=policy, now=now)
    report = asyncio.run(coro) if loop is None else loop.run_until_complete(coro)
    return dataclasses.replace(report, elapsed_ms=round((time.perf_counter() - started) * 1000))


def _unreadable(
    code: ProblemCode,
    message: str,
    data: bytes,
    doc: DocumentInfo,
    problem: Callable[[ProblemCode, str, DocumentInfo | None], VerificationReport],
) -> VerificationReport:
    """A file that cannot be read still lists the signatures a scan of its bytes finds."""
    found = scan_signatures(data)
    report = problem(code, message, dataclasses.replace(doc, signatures_found=len(found)))
    extra = [
        Finding(
            "SIGNATURE_FOUND_UNVERIFIED",
            Severity.WARNING,
            f"signature {i}"
            + (f" in field {sig.field_name!r}" if sig.field_name else "")
            + (f", /ByteRange {list(sig.byte_range)}" if sig.byte_range else "")
            + ": found in the bytes, not verified"
            + {
                True: " (the bytes it names do hash to its signed message digest)",
                False: " (the bytes it names do NOT hash to its signed message digest)",
                None: "",
            }[sig.digest_matches],
        )
        for i, sig in enumerate(found, 1)
    ]
    return dataclasses.replace(report, findings=(*report.findings, *extra))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


async def _analyse(
    data: bytes,
    trust: TrustSettings,
    *,
    offline: bool,
    policy: VerificationPolicy,
    now: datetime,
) -> VerificationReport:
    def problem(
        code: ProblemCode, message: str, doc: DocumentInfo | None = None
    ) -> VerificationReport:
        return cannot_validate(
            code, message, offline=offline, policy=policy.name, document=doc, now=now
        )

    doc = DocumentInfo(
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        pdf_version=header_version(data),
        revisions=0,
        pages=None,
    )
    if not sniff_pdf(data):
        return problem(ProblemCode.NOT_A_PDF, "the file is not a PDF (no %PDF- header)", doc)
    try:
        opened = open_pdf(data)
        reader = opened.reader
        revisions = reader.xrefs.total_revisions
    except (MemoryError, RecursionError):
        raise
    except EncryptedPdf as exc:
        return _unreadable(ProblemCode.ENCRYPTED, str(exc), data, doc, problem)
    except Exception as exc:  # any parser failure is the answer itself
        message = f"the PDF structure cannot be read ({_describe(exc)})"
        return _unreadable(ProblemCode.UNREADABLE_PDF, message, data, doc, problem)
    doc = dataclasses.replace(
        doc,
        revisions=revisions,
        encrypted=opened.encrypted,
        read_leniently=opened.lenient,
        hybrid_xref=opened.hybrid,
    )
    findings: list[Finding] = list(opened.findings)
    if revisions > policy.max_revisions:
        return problem(
            ProblemCode.TOO_COMPLEX,
            f"{revisions} incremental updates (the limit is {policy.max_revisions})",
            doc,
        )
    try:
        bounds = revision_bounds(data, reader)
        fields = _signature_fields(reader, findings)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        message = f"the signature fields cannot be read ({_describe(exc)})"
        return _unreadable(ProblemCode.UNREADABLE_PDF, message, data, doc, problem)
    # Signatures first: where the earliest one sits decides which revisions need comparing.
    broken: list[tuple[str, generic.DictionaryObject, Exception]] = []
    embedded: list[tuple[str, EmbeddedPdfSignature]] = []
    for name, _value, raw_field in fields:
        if isinstance(raw_field, generic.IndirectObject):
            raw_field = raw_field.get_object()
        try:
            sig = EmbeddedPdfSignature(reader, raw_field, name)
            _ = sig.sig_object_type
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:  # universal signature forgery lands here
            broken.append((name, raw_field, exc))
            continue
        embedded.append((name, sig))
    signed_revisions = revisions_with_signature_dictionaries(data, bounds) | {
        sig.signed_revision for _, sig in embedded if isinstance(sig.signed_revision, int)
    }
    try:
        analysis = analyse_revisions(
            reader, bounds, first_signed=min(signed_revisions, default=None)
        )
    except AnalysisLimitExceeded as exc:
        return _unreadable(ProblemCode.TOO_COMPLEX, str(exc), data, doc, problem)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        message = f"the revisions of the PDF cannot be analysed ({_describe(exc)})"
        return _unreadable(ProblemCode.UNREADABLE_PDF, message, data, doc, problem)
    doc = dataclasses.replace(doc, pages=analysis.page_counts[-1] if analysis.page_counts else None)

    try:
        material = ades.read_dss(reader)
    except Exception as exc:
        material = ades.ValidationMaterial(problems=(f"the DSS cannot be read: {_describe(exc)}",))
    for message in material.problems:
        findings.append(Finding("DSS_UNREADABLE", Severity.WARNING, message))

    seen_names = {name for name, _, _ in fields}
    missed = [name for name in analysis.signature_fields if name not in seen_names]
    context = _Context(data, reader, bounds, analysis, trust, policy, material, offline, now)

    signatures: list[tuple[int, SignatureReport]] = [
        (10**9, context.malformed(name, field, exc)) for name, field, exc in broken
    ]
    doc_timestamps: list[TimestampReport] = []
    certification = _certification_level(embedded)
    for name, sig in embedded:
        try:
            is_timestamp = sig.sig_object_type == "/DocTimeStamp"
            order = sig.signed_revision if isinstance(sig.signed_revision, int) else 10**9
            if is_timestamp:
                doc_timestamps.append(await context.document_timestamp(sig))
            else:
                signatures.append((order, await context.signature(name, sig, certification)))
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:  # one signature's failure is its own verdict, not the file's
            signatures.append((10**9, context.malformed(name, sig.sig_field, exc)))
    for name in missed:
        signatures.append(
            (
                10**9,
                _failed_report(
                    name,
                    "FIELD_NOT_RECOGNISED",
                    "a filled signature field that the signature parser did not recognise "
                    "(malformed or unsupported signature dictionary)",
                ),
            )
        )
    for name, signed_in, lost_in in analysis.removed_signatures:
        signatures.append(
            (
                signed_in,
                _failed_report(
                    name,
                    "SIGNATURE_REMOVED",
                    f"the signature in field {name!r} (revision {signed_in}) is no longer part "
                    f"of the document: revision {lost_in} removed it or replaced the document",
                ),
            )
        )
    ordered = [report for _, report in sorted(signatures, key=lambda item: item[0])]
    ordered = [dataclasses.replace(r, id=f"S{i}") for i, r in enumerate(ordered, 1)]
    ordered = _flag_duplicate_timestamps(ordered, doc_timestamps)
    ordered = [_apply_doc_timestamp_level(r, doc_timestamps, analysis.reports) for r in ordered]

    raw_count = count_signature_dictionaries(data)
    if raw_count > len(fields):
        findings.append(
            Finding(
                "UNATTACHED_SIGNATURE_DICTIONARY",
                Severity.WARNING,
                f"the file holds {raw_count} /ByteRange entries but only {len(fields)} "
                "signature fields point at signatures: the rest are not verified",
            )
        )
    return _document_report(
        doc, ordered, doc_timestamps, analysis.reports, findings, offline, policy, now
    )


def _signature_fields(
    reader: PdfFileReader, findings: list[Finding]
) -> list[tuple[str, object, generic.DictionaryObject]]:
    """The filled signature fields of the last revision, or, when its form cannot be read,
    of the last revision whose form can (the signatures are then judged as unanalysable
    changes would be: never passed on the last revision's account)."""
    try:
        return list(enumerate_sig_fields(reader, filled_status=True))
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        first_error = exc
    for revision in range(reader.xrefs.total_revisions - 2, -1, -1):
        try:
            resolver = reader.get_historical_resolver(revision)
            fields = list(enumerate_sig_fields(resolver, filled_status=True))
        except (MemoryError, RecursionError):
            raise
        except Exception:  # noqa: S112 - try the revision before
            continue
        findings.append(
            Finding(
                "FORM_READ_FROM_EARLIER_REVISION",
                Severity.WARNING,
                f"the last revision's form cannot be read ({_describe(first_error)}); the "
                f"signature fields were read from revision {revision}",
            )
        )
        return fields
    raise first_error


def _certification_level(
    embedded: list[tuple[str, EmbeddedPdfSignature]],
) -> tuple[int, int] | None:
    """(signed revision, P) of the certification (DocMDP) signature, if any."""
    for _name, sig in embedded:
        try:
            if sig.sig_object_type != "/Sig":
                continue
            if "/Reference" not in sig.sig_object:
                continue
            for ref in sig.sig_object["/Reference"]:
                ref = ref.get_object()
                if "/TransformMethod" in ref and ref["/TransformMethod"] == "/DocMDP":
                    level = sig.docmdp_level
                    if level is not None:
                        return sig.signed_revision, level.value
        except Exception:  # noqa: S112 - unreadable references count as none
            continue
    return None


class _Context:
    def __init__(
        self,
        data: bytes,
        reader: PdfFileReader,
        bounds: list[RevisionBounds],
        analysis: RevisionAnalysis,
        trust: TrustSettings,
        policy: VerificationPolicy,
        material: ades.ValidationMaterial,
        offline: bool,
        now: datetime,
    ) -> None:
        self.data = data
        self.reader = reader
        self.bounds = bounds
        self.analysis = analysis
        self.trust = trust
        self.policy = policy
        self.material = material
        self.offline = offline
        self.now = now

    def _sig_offset(self, field: generic.DictionaryObject) -> int | None:
        value = field.raw_get("/V")
        if not isinstance(value, generic.IndirectObject):
            return None
        marker = self.reader.xrefs.get_historical_ref(
            value.reference, self.reader.xrefs.total_revisions - 1
        )
        if marker is None or isinstance(marker, ObjStreamRef):
            return None
        return int(marker)

    def malformed(
        self, name: str, field: generic.DictionaryObject, exc: Exception
    ) -> SignatureReport:
        errors = [f"the signature dictionary is malformed: {_describe(exc)}"]
        found: list[Finding] = [Finding("SIGNATURE_MALFORMED", Severity.ERROR, errors[0])]
        try:
            # [] dereferences; dict.get would hand back the bare reference
            sig_object = field["/V"] if "/V" in field else None  # noqa: SIM401
            if isinstance(sig_object, generic.DictionaryObject):
                contents = sig_object.raw_get("/Contents") if "/Contents" in sig_object else None
                raw = (
                    contents.original_bytes
                    if isinstance(contents, generic.ByteStringObject | generic.TextStringObject)
                    else None
                )
                check = check_byte_range(
                    self.data,
                    sig_object.raw_get("/ByteRange") if "/ByteRange" in sig_object else None,
                    raw,
                    self._sig_offset(field),
                    self.bounds,
                )
                errors.extend(f.message for f in check.findings)
                found.extend(check.findings)
                count = _raw_signer_info_count(raw)
                if count is not None and count > 1:
                    message = f"the CMS carries {count} SignerInfos; a PAdES signature has one"
                    errors.append(message)
                    found.append(Finding("MULTIPLE_SIGNER_INFOS", Severity.ERROR, message))
                if "/ByteRange" not in sig_object or "/Contents" not in sig_object:
                    found.append(
                        Finding(
                            "UNIVERSAL_SIGNATURE_FORGERY",
                            Severity.ERROR,
                            "the signature dictionary has no /ByteRange or no /Contents",
                        )
                    )
                elif raw is not None and not raw.strip(b"\x00"):
                    found.append(
                        Finding(
                            "UNIVERSAL_SIGNATURE_FORGERY",
                            Severity.ERROR,
                            "the signature's /Contents is empty (no signature at all)",
                        )
                    )
            else:
                errors.append("the signature field's value is not a signature dictionary")
        except Exception as inner:
            errors.append(_describe(inner))
        report = _failed_report(name, "SIGNATURE_MALFORMED", "; ".join(errors))
        structure = tuple(f for f in found if f.code != "SIGNATURE_MALFORMED")
        attacks = _signature_findings(
            structure,
            IntegrityFacts(None, None, None, None, None),
            _NO_MODIFICATIONS,
            unjudged=False,
        )
        unique = {f.code: f for f in reversed((found[0], *attacks))}  # first of each code
        return dataclasses.replace(report, findings=tuple(reversed(unique.values())))

    async def document_timestamp(self, sig: EmbeddedPdfSignature) -> TimestampReport:
        report = await ades.validate_document_timestamp(
            sig, self.trust, self.material, offline=self.offline, revision=sig.signed_revision
        )
        check = check_byte_range(
            self.data,
            sig.byte_range,
            sig.pkcs7_content,
            self._sig_offset(sig.sig_field),
            self.bounds,
        )
        if check.ok:
            return report
        return dataclasses.replace(
            report,
            indication=Indication.TOTAL_FAILED,
            sub_indication=SubIndication.FORMAT_FAILURE,
            errors=report.errors + tuple(f.message for f in check.findings),
        )

    async def signature(
        self, name: str, sig: EmbeddedPdfSignature, certification: tuple[int, int] | None
    ) -> SignatureReport:
        warnings: list[str] = []
        infos: list[str] = []
        check = check_byte_range(
            self.data,
            sig.byte_range,
            sig.pkcs7_content,
            self._sig_offset(sig.sig_field),
            self.bounds,
        )
        errors = [f.message for f in check.findings]
        signed_revision = sig.signed_revision if isinstance(sig.signed_revision, int) else None
        if (
            check.ok
            and signed_revision is not None
            and self.bounds[signed_revision].end != check.signed_end
        ):
            errors.append(
                "the signed bytes end at another revision than the one holding the "
                "signature dictionary"
            )
        # What the signature covers: by our byte-level checks, not pyHanko's alone.
        structural_ok = check.ok and signed_revision is not None and not errors
        if structural_ok:
            coverage = (
                Coverage.ENTIRE_FILE
                if check.signed_end == len(self.data)
                else Coverage.ENTIRE_REVISION
            )
        else:
            coverage = Coverage.PARTIAL if check.byte_range else Coverage.UNKNOWN

        outcome = await ades.validate_signature(
            sig,
            self.trust,
            self.material,
            offline=self.offline,
            now=self.now,
            skip_diff=bool(self.analysis.unreadable),
        )
        errors.extend(outcome.errors)
        warnings.extend(outcome.warnings)
        status = outcome.status
        if status is not None and status.coverage is not None and coverage is not Coverage.PARTIAL:
            pyhanko_coverage = status.coverage.name
            if pyhanko_coverage not in ("ENTIRE_FILE", "ENTIRE_REVISION"):
                errors.append(f"pyHanko rates the signature's coverage as {pyhanko_coverage}")
                coverage = Coverage.PARTIAL
        later = tuple(
            r.index
            for r in self.analysis.reports
            if signed_revision is not None and r.index > signed_revision
        )
        scope = SignatureScope(
            byte_range=check.byte_range,
            coverage=coverage,
            signed_revision=signed_revision,
            revisions=len(self.analysis.reports),
            signed_bytes=(check.byte_range[1] + check.byte_range[3])
            if len(check.byte_range) == 4
            else 0,
            file_size=len(self.data),
            pages_signed=(
                self.analysis.page_counts[signed_revision] if signed_revision is not None else None
            ),
            later_revisions=later,
        )

        # What changed after it.
        last = len(self.bounds) - 1
        unjudged = bool(later) and (
            signed_revision in self.analysis.unreadable or last in self.analysis.unreadable
        )
        if unjudged:
            errors.append(
                "the changes made after this signature cannot be judged: a revision's "
                "document cannot be read (see the revisions)"
            )
        docmdp = _int_level(sig)
        if (
            certification is not None
            and signed_revision is not None
            and certification[0] <= signed_revision
        ):
            docmdp = certification[1] if docmdp is None else min(docmdp, certification[1])
        if (
            certification is not None
            and signed_revision is not None
            and certification[0] > signed_revision
        ):
            warnings.append("a certification signature follows this signature (it must come first)")
        fieldmdp = _field_lock(sig)
        modifications = _judge_modifications(
            [r for r in self.analysis.reports if r.index in later],
            coverage,
            docmdp,
            fieldmdp,
            self.policy,
            status,
            None
            if signed_revision is None
            else self.analysis.fields_with_value.get(signed_revision),
        )
        modifications = self._what_a_reader_sees(modifications, signed_revision, later)
        for finding in modifications.findings:
            if finding.severity is Severity.ERROR:
                errors.append(finding.message)
            elif finding.severity is Severity.WARNING:
                warnings.append(finding.message)

        # Algorithms.
        digest = sig.md_algorithm
        signature_algorithm: str | None = None
        try:
            signature_algorithm = signature_mechanism(sig.signer_info["signature_algorithm"])
            declared = {a["algorithm"].native for a in sig.signed_data["digest_algorithms"]}
            if digest not in declared:
                warnings.append(
                    f"the signer's digest algorithm {digest} is not among the SignedData's "
                    f"declared algorithms ({', '.join(sorted(declared)) or 'none'})"
                )
        except Exception as exc:
            warnings.append(f"the signature algorithm cannot be read: {_describe(exc)}")
        crypto_problem = None
        if digest not in self.policy.digest_algorithms:
            crypto_problem = f"the digest algorithm {digest} is not accepted by the policy"
            errors.append(crypto_problem)

        # Timestamps and times.
        claimed = None
        try:
            claimed = sig.self_reported_timestamp
        except Exception:  # an unreadable /M is only a missing claim
            claimed = None
        proven = outcome.proven_time
        bad_timestamps = [t for t in outcome.timestamps if t.errors and not t.message_imprint_ok]
        for ts in bad_timestamps:
            errors.extend(ts.errors)
        if claimed is not None and proven is not None:
            skew = (claimed - proven).total_seconds()
            if skew > self.policy.clock_skew_seconds:
                warnings.append(
                    f"the claimed signing time is {int(skew)} s after the timestamp's time"
                )
        if outcome.sub_indication is None and outcome.indication is Indication.TOTAL_PASSED:
            infos.append(outcome.details)

        # Integrity facts, each on its own; the attack classes found, by code.
        signer_infos = _signer_info_count(sig)
        if signer_infos is not None and signer_infos > 1:
            errors.append(
                f"the CMS carries {signer_infos} SignerInfos; a PAdES signature has exactly one "
                "(the others are not verified)"
            )
        integrity = IntegrityFacts(
            signature_intact=status.valid if status is not None else None,
            message_digest_match=status.intact if status is not None else _digest_matches(sig),
            byte_range_valid=structural_ok,
            signature_dictionary_consistent=(
                False
                if any(f.code == "SIGNATURE_DICTIONARY_INCONSISTENT" for f in check.findings)
                else self._dictionary_consistent(sig, signed_revision)
            ),
            signer_infos=signer_infos,
        )
        sig_findings = _signature_findings(check.findings, integrity, modifications, unjudged)
        if any(t.message_imprint_ok is False for t in outcome.timestamps):
            sig_findings += (
                Finding(
                    "TIMESTAMP_NOT_FOR_THIS_SIGNATURE",
                    Severity.ERROR,
                    "a signature timestamp's imprint is not this signature's value (copied?)",
                ),
            )

        # The combined verdict: the strictest judgement wins.
        indication, sub = outcome.indication, outcome.sub_indication
        # Bad bytes, or a change after signing the policy does not permit, is a failure.
        broken = (
            not structural_ok
            or coverage in (Coverage.PARTIAL, Coverage.UNKNOWN)
            or (signer_infos is not None and signer_infos > 1)
        )
        if broken or (indication is not Indication.TOTAL_FAILED and not modifications.permitted):
            indication, sub = Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE
        elif indication is Indication.TOTAL_PASSED and unjudged:
            indication, sub = Indication.INDETERMINATE, SubIndication.GENERIC
        elif indication is Indication.TOTAL_PASSED and crypto_problem:
            indication, sub = Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE
        elif indication is Indication.TOTAL_PASSED and bad_timestamps:
            indication, sub = Indication.INDETERMINATE, SubIndication.SIG_CONSTRAINTS_FAILURE
        elif indication is Indication.TOTAL_PASSED and errors:
            indication, sub = Indication.INDETERMINATE, SubIndication.GENERIC
        if (
            indication is not Indication.TOTAL_PASSED
            and outcome.indication is not Indication.TOTAL_PASSED
            and outcome.details
            and outcome.details not in errors
        ):
            # The AdES reason leads only when it is the verdict's reason: a broken
            # /ByteRange is not summed up by the certificate's expiry.
            if (indication, sub) == (outcome.indication, outcome.sub_indication):
                errors.insert(0, outcome.details)
            else:
                errors.append(outcome.details)

        level = _level(sig, outcome, self.analysis.reports, signed_revision, self.material)
        signer = outcome.chain[0] if outcome.chain else None
        if signer is None:
            try:
                signer = ades.cert_info(sig.signer_cert)
            except Exception:
                signer = None
        return SignatureReport(
            id="",
            field_name=name,
            indication=indication,
            sub_indication=sub,
            errors=tuple(_unique(errors)),
            warnings=tuple(_unique(warnings)),
            infos=tuple(infos),
            level=level,
            sub_filter=_subfilter(sig),
            signer=signer,
            claimed_signing_time=claimed,
            proven_signing_time=proven,
            signature_timestamps=outcome.timestamps,
            certificate_chain=outcome.chain,
            trust_anchor=outcome.trust_anchor,
            revocation=outcome.revocation,
            digest_algorithm=digest,
            signature_algorithm=signature_algorithm,
            scope=scope,
            modifications=modifications,
            certification=certification is not None and certification[0] == signed_revision,
            ades=AdesResult(outcome.indication, outcome.sub_indication, outcome.details),
            signature_value_b64=_signature_value(sig),
            signed_attributes_sha256=_signed_attributes_digest(sig),
            integrity=integrity,
            findings=sig_findings,
        )

    def _what_a_reader_sees(
        self, modifications: Modifications, signed_revision: int | None, later: tuple[int, ...]
    ) -> Modifications:
        """The signed revision and the final file rendered and compared, and the text under
        each annotation added since: only when something beyond validation data changed."""
        if signed_revision is None or not later:
            return modifications
        if set(modifications.changes) <= _ALWAYS_PERMITTED:
            return modifications
        signed = self.data[: self.bounds[signed_revision].end]
        findings = list(modifications.findings)
        refused = set(modifications.refused)
        overlapping: list[str] = []
        # Ink added over signed text hides or replaces it (the overlay attacks): never
        # permitted, although EU DSS only warns of an annotation overlap.
        covers = (
            (
                ChangeKind.ANNOTATION_ADDED,
                self.analysis.added_annotations,
                "annotation",
                "ANNOTATION_OVERLAPS_TEXT",
            ),
            (
                ChangeKind.FORM_FILLED,
                self.analysis.filled_widgets,
                "filled form field",
                "FORM_FIELD_OVERLAPS_TEXT",
            ),
        )
        for kind, by_revision, what, code in covers:
            for revision in later:
                for label, page, rect in by_revision.get(revision, ()):
                    text = visual.text_under(signed, page, rect)
                    if text:
                        overlapping.append(label)
                        refused.add(kind)
                        findings.append(
                            Finding(
                                code,
                                Severity.ERROR,
                                f"revision {revision}: {label} ({what}) lies over signed text "
                                f"({text[:60]!r})",
                                revision,
                            )
                        )
        # An annotation the signer saw drawn, redrawn after signing: what it showed was
        # replaced (as a filled field's signed value), whatever the policy.
        shown = self.analysis.annotations_shown.get(signed_revision)
        redrawn: list[str] = []
        for revision in later:
            for key, label in self.analysis.redrawn_annotations.get(revision, ()):
                if shown is None or key in shown:
                    redrawn.append(label)
                    refused.add(ChangeKind.ANNOTATION_CHANGED)
                    findings.append(
                        Finding(
                            "SIGNED_ANNOTATION_REDRAWN",
                            Severity.ERROR,
                            f"revision {revision}: {label} was drawn when signed and its "
                            "appearance changed since",
                            revision,
                        )
                    )
        differing = visual.pages_that_look_different(signed, self.data)
        permitted = modifications.permitted and not overlapping and not redrawn
        if differing:
            pages = ", ".join(map(str, differing))
            if set(modifications.changes) & _VISIBLE_CHANGES:
                findings.append(
                    Finding(
                        "VISUAL_DIFFERENCE",
                        Severity.WARNING,
                        f"page(s) {pages} look different from the signed revision",
                    )
                )
            else:
                # Nothing found explains it: the analysis was fooled, never the reader.
                permitted = False
                findings.append(
                    Finding(
                        "CHANGE_NOT_PERMITTED",
                        Severity.ERROR,
                        f"page(s) {pages} look different from the signed revision, although "
                        "no change found after it should show",
                    )
                )
        return dataclasses.replace(
            modifications,
            permitted=permitted,
            findings=tuple(findings),
            visual_difference_pages=differing,
            annotations_overlapping_text=tuple(overlapping),
            refused=tuple(sorted(refused)),
        )

    def _dictionary_consistent(
        self, sig: EmbeddedPdfSignature, signed_revision: int | None
    ) -> bool | None:
        """The signature dictionary lies in the revision it signs, and no later revision
        changed the field or its dictionary."""
        offset = self._sig_offset(sig.sig_field)
        if offset is None or signed_revision is None:
            return None
        inside = self.bounds[signed_revision].start <= offset < self.bounds[signed_revision].end
        changed = any(
            r.index > signed_revision
            and ChangeKind.SIGNATURE_FIELD_CHANGED in r.changes
            and sig.field_name in r.fields_changed
            for r in self.analysis.reports
        )
        return inside and not changed


_NO_MODIFICATIONS = Modifications(
    permitted=True,
    pyhanko_level=None,
    pyhanko_docmdp_ok=None,
    docmdp=None,
    field_lock=None,
    changes=(),
    findings=(),
)
# Refused changes after a signature, by the attack class they are the mark of.
_ATTACK_CLASSES: dict[ChangeKind, str] = {
    ChangeKind.XREF_REDIRECTED: "SHADOW_ATTACK_HIDE",
    ChangeKind.FORM_FILLED: "SHADOW_ATTACK_REPLACE",
    ChangeKind.TRAILER_CHANGED: "SHADOW_ATTACK_HIDE_AND_REPLACE",
    ChangeKind.SIGNATURE_FIELD_CHANGED: "SIGNATURE_DICTIONARY_CHANGED",
}
# What makes a refused form filling the shadow "replace" attack: a value the signer saw was
# replaced, or the filled field lies over signed text.
_REPLACE_MARKS = frozenset({"SIGNED_VALUE_REPLACED", "FORM_FIELD_OVERLAPS_TEXT"})
_STRUCTURE_CLASSES: dict[str, str] = {
    "BYTE_RANGE_MALFORMED": "UNIVERSAL_SIGNATURE_FORGERY",
    "CONTENTS_MISSING": "UNIVERSAL_SIGNATURE_FORGERY",
    "BYTE_RANGE_NOT_FROM_START": "SIGNATURE_WRAPPING",
    "BYTE_RANGE_GAP_NOT_CONTENTS": "SIGNATURE_WRAPPING",
    "BYTE_RANGE_INCONSISTENT": "SIGNATURE_WRAPPING",
    "BYTE_RANGE_OUTSIDE_FILE": "BYTE_RANGE_OUTSIDE_FILE",
}


def _signature_findings(
    structure: tuple[Finding, ...],
    integrity: IntegrityFacts,
    modifications: Modifications,
    unjudged: bool,
) -> tuple[Finding, ...]:
    out: list[Finding] = []
    for finding in structure:
        out.append(finding)
        attack = _STRUCTURE_CLASSES.get(finding.code)
        if attack is not None and attack != finding.code:
            out.append(Finding(attack, Severity.ERROR, finding.message, finding.revision))
    if integrity.message_digest_match is False:
        out.append(
            Finding(
                "MESSAGE_DIGEST_MISMATCH",
                Severity.ERROR,
                "the signed bytes do not hash to the signed message digest (modified bytes)",
            )
        )
    if integrity.signature_intact is False:
        out.append(
            Finding(
                "SIGNATURE_VALUE_INVALID",
                Severity.ERROR,
                "the signature value does not verify with the signer's key",
            )
        )
    if integrity.signer_infos is not None and integrity.signer_infos > 1:
        out.append(
            Finding(
                "MULTIPLE_SIGNER_INFOS",
                Severity.ERROR,
                f"the CMS carries {integrity.signer_infos} SignerInfos",
            )
        )
    if integrity.signature_dictionary_consistent is False and not any(
        f.code == "SIGNATURE_DICTIONARY_INCONSISTENT" for f in structure
    ):
        out.append(
            Finding(
                "SIGNATURE_DICTIONARY_INCONSISTENT",
                Severity.ERROR,
                "the signature dictionary is not part of the revision it signs, or changed "
                "after signing",
            )
        )
    errors = [f for f in modifications.findings if f.severity is Severity.ERROR]
    codes = {f.code for f in errors}
    for kind in modifications.refused:
        attack = _ATTACK_CLASSES.get(kind, "INCREMENTAL_SAVING_ATTACK")
        if kind is ChangeKind.FORM_FILLED and not codes & _REPLACE_MARKS:
            # refused by the policy or the signer's FieldMDP/DocMDP, not an attack's mark
            attack = "FORM_FILLING_NOT_PERMITTED"
        if kind is ChangeKind.ANNOTATION_CHANGED and "SIGNED_ANNOTATION_REDRAWN" in codes:
            attack = "SHADOW_ATTACK_REPLACE"
        revision = next((f.revision for f in errors if f.revision is not None), None)
        message = f"{kind.value} after the signature is not permitted"
        out.append(Finding(attack, Severity.ERROR, message, revision))
    if unjudged:
        out.append(
            Finding(
                "CHANGES_NOT_ANALYSED",
                Severity.ERROR,
                "the changes after this signature cannot be judged (unreadable revision)",
            )
        )
    return tuple(dict.fromkeys(out))


def _raw_signer_info_count(contents: bytes | None) -> int | None:
    if not contents:
        return None
    try:
        info = cms.ContentInfo.load(contents)  # trailing zero padding is ignored
        return len(info["content"]["signer_infos"])
    except Exception:
        return None


def _signer_info_count(sig: EmbeddedPdfSignature) -> int | None:
    try:
        return len(sig.signed_data["signer_infos"])
    except Exception:
        return None


def _digest_matches(sig: EmbeddedPdfSignature) -> bool | None:
    """Our own check of the messageDigest attribute, when pyHanko's validation stopped
    before it."""
    try:
        signed = sig.signer_info["signed_attrs"]
        digest = next(a["values"][0].native for a in signed if a["type"].native == "message_digest")
        return bool(sig.compute_digest() == digest)
    except Exception:
        return None


def _signature_value(sig: EmbeddedPdfSignature) -> str | None:
    try:
        return base64.b64encode(sig.signer_info["signature"].native).decode()
    except Exception:
        return None


def _signed_attributes_digest(sig: EmbeddedPdfSignature) -> str | None:
    try:
        return hashlib.sha256(sig.signer_info["signed_attrs"].untag().dump()).hexdigest()
    except Exception:
        return None


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _subfilter(sig: EmbeddedPdfSignature) -> str | None:
    try:
        value = sig.sig_object["/SubFilter"] if "/SubFilter" in sig.sig_object else None  # noqa: SIM401
    except Exception:
        return None
    return str(value) if value is not None else None


def _int_level(sig: EmbeddedPdfSignature) -> int | None:
    try:
        level = sig.docmdp_level
    except Exception:  # an unreadable DocMDP means the strictest reading
        return 1
    return None if level is None else int(level.value)


def _field_lock(sig: EmbeddedPdfSignature) -> FieldMDPSpec | None:
    try:
        spec = sig.fieldmdp
        if spec is None and "/Lock" in sig.sig_field:
            spec = FieldMDPSpec.from_pdf_object(sig.sig_field["/Lock"])
    except Exception:
        return None
    return spec


def _judge_modifications(
    later: list[RevisionReport],
    coverage: Coverage,
    docmdp: int | None,
    fieldmdp: FieldMDPSpec | None,
    policy: VerificationPolicy,
    status: object,
    signed_values: frozenset[str] | None,
) -> Modifications:
    """`signed_values`: the form fields showing a value in the signed revision (None: not
    known, so every filled field counts as one)."""
    findings: list[Finding] = []
    changes: set[ChangeKind] = set()
    refused: set[ChangeKind] = set()
    permitted = True
    mdp_violated = False  # a DocMDP/FieldMDP violation was found (and judged) above
    locked_filled: set[ChangeKind] = set()  # FORM_FILLED when a locked field was filled
    current: ChangeKind | None = None  # the kind being judged, for `refused`

    def refuse(message: str, revision: int | None, code: str = "CHANGE_NOT_PERMITTED") -> None:
        nonlocal permitted
        permitted = False
        if current is not None:
            refused.add(current)
        findings.append(Finding(code, Severity.ERROR, message, revision))

    def mdp(message: str, revision: int | None, code: str = "DOCMDP_VIOLATED") -> None:
        """A change the signer's DocMDP/FieldMDP forbids: a failure under a policy that
        enforces them, otherwise a warning that stays in the report (EU DSS: WARN)."""
        nonlocal mdp_violated
        mdp_violated = True
        if policy.enforce_mdp:
            refuse(message, revision)
        else:
            findings.append(Finding(code, Severity.WARNING, message, revision))

    for report in later:
        by_kind: dict[str, list[Finding]] = {}
        for finding in report.findings:
            by_kind.setdefault(finding.code, []).append(finding)
            if finding.severity is Severity.WARNING:
                findings.append(finding)
        for kind in report.changes:
            changes.add(kind)
            current = kind
            messages = [f.message for f in by_kind.get(kind.value, [])] or [kind.value]
            what = f"revision {report.index}: " + "; ".join(messages)
            if kind in _ALWAYS_PERMITTED:
                continue
            if kind is ChangeKind.WRITER_ARTEFACT:
                findings.append(Finding(kind.value, Severity.WARNING, what, report.index))
                continue
            if kind is ChangeKind.SIGNATURE_ADDED:
                if docmdp == 1:
                    mdp(f"{what} (the certification permits no changes)", report.index)
                continue
            if kind is ChangeKind.FORM_FILLED:
                # A field that showed a value when signed now shows another: the signed
                # content itself was replaced (shadow "replace"), whatever the policy.
                replaced = [
                    n for n in report.fields_changed if signed_values is None or n in signed_values
                ]
                locked = [
                    n
                    for n in report.fields_changed
                    if fieldmdp is not None and fieldmdp.is_locked(n)
                ]
                if replaced:
                    refuse(
                        f"{what} (field(s) {', '.join(replaced)} showed a value when signed: "
                        "the signed content was replaced)",
                        report.index,
                        "SIGNED_VALUE_REPLACED",
                    )
                    continue
                violated = bool(locked) or docmdp == 1
                if locked:
                    locked_filled.add(kind)
                    mdp(
                        f"{what} (field(s) {', '.join(locked)} are locked by this signature)",
                        report.index,
                        "FIELDMDP_VIOLATED",
                    )
                if docmdp == 1:
                    mdp(f"{what} (the certification permits no changes)", report.index)
                if not policy.allow_form_filling:
                    refuse(
                        f"{what} (the policy permits no form filling after signing)", report.index
                    )
                elif not (violated and policy.enforce_mdp):
                    findings.append(Finding("FORM_FILLED", Severity.WARNING, what, report.index))
                continue
            if kind in (ChangeKind.ANNOTATION_ADDED, ChangeKind.ANNOTATION_CHANGED):
                violated = docmdp is not None and docmdp < 3
                if violated:
                    mdp(f"{what} (the certification does not permit annotations)", report.index)
                if not policy.allow_annotations:
                    refuse(
                        f"{what} (the policy permits no annotations after signing)", report.index
                    )
                elif not (violated and policy.enforce_mdp):
                    findings.append(Finding(kind.value, Severity.WARNING, what, report.index))
                continue
            refuse(what, report.index)
    current = None
    if coverage in (Coverage.PARTIAL, Coverage.UNKNOWN) and later:
        refuse(
            "the signature does not cover a whole revision: nothing after it can be judged", None
        )

    # pyHanko's own difference analysis: reported, and able to reject, never to accept alone.
    pyhanko_level: str | None = None
    docmdp_ok: bool | None = None
    diff = getattr(status, "diff_result", None)
    if isinstance(diff, DiffResult):
        pyhanko_level = diff.modification_level.name
    elif diff is not None:
        pyhanko_level = "SUSPICIOUS"
    docmdp_ok = getattr(status, "docmdp_ok", None)
    # Writer artefacts (a /Names or /OpenAction change, the form's /DA) are "OTHER" to
    # pyHanko, and its default rules explain no annotation (a comment is "SUSPICIOUS"):
    # when our analysis finds only those (permitted) besides, pyHanko's rating is reported,
    # not final. Our analysis, the overlap and the rendering checks still judge them.
    unjudged_by_pyhanko = {ChangeKind.WRITER_ARTEFACT}
    if policy.allow_annotations:
        unjudged_by_pyhanko |= {ChangeKind.ANNOTATION_ADDED, ChangeKind.ANNOTATION_CHANGED}
    only_artefacts = bool(changes & unjudged_by_pyhanko) and permitted
    if only_artefacts and pyhanko_level in ("OTHER", "SUSPICIOUS"):
        findings.append(
            Finding(
                "PYHANKO_DIFF_DISAGREES",
                Severity.WARNING,
                f"pyHanko's difference analysis rates the changes {pyhanko_level}; our "
                "analysis finds annotations or writer artefacts that leave the signed "
                "content as it was",
            )
        )
    elif (
        pyhanko_level == "SUSPICIOUS"
        and ChangeKind.FORM_FILLED in locked_filled
        and permitted
        and not policy.enforce_mdp
        and "is locked" in str(diff)
    ):
        # pyHanko stops at the FieldMDP lock judged above (a warning here); our own
        # analysis has judged every other change. Any other message still refuses.
        findings.append(
            Finding(
                "PYHANKO_FIELDMDP_FAILED",
                Severity.INFO,
                f"pyHanko's difference analysis rejects the locked field's change: {diff}",
            )
        )
    elif (
        docmdp_ok is False
        and mdp_violated
        and not policy.enforce_mdp
        and pyhanko_level not in ("OTHER", "SUSPICIOUS")
    ):
        # pyHanko's DocMDP check fails for the violation judged above (a warning here).
        findings.append(
            Finding(
                "PYHANKO_DOCMDP_FAILED",
                Severity.INFO,
                f"pyHanko's DocMDP check fails too (changes rated {pyhanko_level})",
            )
        )
    elif pyhanko_level in ("OTHER", "SUSPICIOUS") or docmdp_ok is False:
        detail = f": {diff}" if pyhanko_level == "SUSPICIOUS" else ""
        refuse(f"pyHanko's difference analysis rejects the changes ({pyhanko_level}{detail})", None)
    elif not permitted and pyhanko_level is not None:
        findings.append(
            Finding(
                "PYHANKO_DIFF_DISAGREES",
                Severity.INFO,
                f"pyHanko's difference analysis alone rated the changes {pyhanko_level}",
            )
        )
    lock = None
    if fieldmdp is not None:
        lock = f"{fieldmdp.action.name} {', '.join(fieldmdp.fields or [])}".strip()
    return Modifications(
        permitted=permitted,
        pyhanko_level=pyhanko_level,
        pyhanko_docmdp_ok=docmdp_ok,
        docmdp=docmdp,
        field_lock=lock,
        changes=tuple(sorted(changes - {ChangeKind.NO_CHANGE}))
        or ((ChangeKind.NO_CHANGE,) if later else ()),
        findings=tuple(findings),
        refused=tuple(sorted(refused)),
    )


def _level(
    sig: EmbeddedPdfSignature,
    outcome: ades.AdesOutcome,
    revisions: tuple[RevisionReport, ...],
    signed_revision: int | None,
    material: ades.ValidationMaterial,
) -> SignatureLevel:
    if signed_revision is None:
        return SignatureLevel.UNKNOWN
    try:
        signing_cert = sig.signer_cert
    except Exception:
        return SignatureLevel.UNKNOWN
    pades = _subfilter(sig) == _PADES_SUBFILTER
    level = "B"
    # The level is what the signature carries; whether it validates is the indication's job.
    if outcome.proven_time is not None or any(t.message_imprint_ok for t in outcome.timestamps):
        level = "T"
    dss_revisions = [
        r.index
        for r in revisions
        if r.index > signed_revision and ChangeKind.DSS_UPDATED in r.changes
    ]
    embedded = ades.read_revinfo_attribute(sig.signer_info)
    covered = (bool(dss_revisions) and material.covers(signing_cert)) or embedded.covers(
        signing_cert
    )
    if level == "T" and covered:
        level = "LT"
    names = {
        ("B", True): SignatureLevel.PADES_BASELINE_B,
        ("T", True): SignatureLevel.PADES_BASELINE_T,
        ("LT", True): SignatureLevel.PADES_BASELINE_LT,
        ("B", False): SignatureLevel.PKCS7_B,
        ("T", False): SignatureLevel.PKCS7_T,
        ("LT", False): SignatureLevel.PKCS7_LT,
    }
    return names[(level, pades)]


def _apply_doc_timestamp_level(
    report: SignatureReport,
    doc_timestamps: list[TimestampReport],
    revisions: tuple[RevisionReport, ...],
) -> SignatureReport:
    """B-LT plus a valid document timestamp over the validation data is B-LTA; a valid
    document timestamp right after a B-B signature makes it B-T."""
    scope = report.scope
    if scope is None or scope.signed_revision is None:
        return report
    passed = [
        t.revision
        for t in doc_timestamps
        if t.indication is Indication.TOTAL_PASSED
        and t.revision is not None
        and t.revision > scope.signed_revision
    ]
    if not passed:
        return report
    dss = [
        r.index
        for r in revisions
        if r.index > scope.signed_revision and ChangeKind.DSS_UPDATED in r.changes
    ]
    upgrades = {
        SignatureLevel.PADES_BASELINE_B: SignatureLevel.PADES_BASELINE_T,
        SignatureLevel.PKCS7_B: SignatureLevel.PKCS7_T,
    }
    if report.level in (SignatureLevel.PADES_BASELINE_LT, SignatureLevel.PKCS7_LT) and any(
        t >= min(dss, default=10**9) for t in passed
    ):
        lta = (
            SignatureLevel.PADES_BASELINE_LTA
            if report.level is SignatureLevel.PADES_BASELINE_LT
            else SignatureLevel.PKCS7_LTA
        )
        return dataclasses.replace(report, level=lta)
    if report.level in upgrades:
        return dataclasses.replace(report, level=upgrades[report.level])
    return report


def _flag_duplicate_timestamps(
    reports: list[SignatureReport], doc_timestamps: list[TimestampReport]
) -> list[SignatureReport]:
    """A timestamp token found in two places was copied into the later one."""
    owner: dict[str, str] = {
        t.token_sha256: f"document timestamp {t.field_name}" for t in doc_timestamps
    }
    out = []
    for report in reports:
        duplicated = []
        stamps = []
        for ts in report.signature_timestamps:
            first = owner.setdefault(ts.token_sha256, report.id) if ts.token_sha256 else report.id
            if first != report.id:
                duplicated.append(first)
                ts = dataclasses.replace(
                    ts,
                    indication=Indication.TOTAL_FAILED,
                    sub_indication=SubIndication.HASH_FAILURE,
                    errors=(*ts.errors, f"the same timestamp token is also in {first}"),
                )
            stamps.append(ts)
        if duplicated:
            message = f"a signature timestamp is duplicated from {', '.join(duplicated)}"
            indication, sub = report.indication, report.sub_indication
            if indication is Indication.TOTAL_PASSED:
                indication, sub = Indication.INDETERMINATE, SubIndication.SIG_CONSTRAINTS_FAILURE
            report = dataclasses.replace(
                report,
                indication=indication,
                sub_indication=sub,
                errors=(*report.errors, message),
                signature_timestamps=tuple(stamps),
                findings=(
                    *report.findings,
                    Finding("TIMESTAMP_DUPLICATED", Severity.ERROR, message),
                ),
            )
        out.append(report)
    return out


def _failed_report(name: str | None, code: str, message: str) -> SignatureReport:
    return SignatureReport(
        id="",
        field_name=name,
        indication=Indication.TOTAL_FAILED,
        sub_indication=SubIndication.FORMAT_FAILURE,
        errors=(f"{code}: {message}",),
        warnings=(),
        infos=(),
        level=SignatureLevel.UNKNOWN,
        sub_filter=None,
        signer=None,
        claimed_signing_time=None,
        proven_signing_time=None,
        signature_timestamps=(),
        certificate_chain=(),
        trust_anchor=None,
        revocation=None,
        digest_algorithm=None,
        signature_algorithm=None,
        scope=None,
        modifications=None,
        certification=False,
        ades=None,
    )


def _document_report(
    doc: DocumentInfo,
    signatures: list[SignatureReport],
    doc_timestamps: list[TimestampReport],
    revisions: tuple[RevisionReport, ...],
    findings: list[Finding],
    offline: bool,
    policy: VerificationPolicy,
    now: datetime,
) -> VerificationReport:
    if not signatures and not doc_timestamps:
        return VerificationReport(
            bottom_line=Indication.INDETERMINATE,
            sub_indication=SubIndication.SIGNED_DATA_NOT_FOUND,
            summary="no signature found: nothing to verify",
            validation_time=now,
            offline=offline,
            policy=policy.name,
            document=doc,
            signatures=(),
            document_timestamps=(),
            revisions=revisions,
            findings=(
                *findings,
                Finding("NO_SIGNATURE", Severity.ERROR, "the document is not signed"),
            ),
        )
    bottom = worst([s.indication for s in signatures] + [t.indication for t in doc_timestamps])
    sub: SubIndication | None = None
    if bottom is not Indication.TOTAL_PASSED:
        sub = next(
            (s.sub_indication for s in signatures if s.indication is bottom),
            next((t.sub_indication for t in doc_timestamps if t.indication is bottom), None),
        )
    parts = []
    for s in signatures:
        who = (s.signer.common_name if s.signer and s.signer.common_name else None) or s.field_name
        text = f"{s.id} {who}: {s.indication.value}"
        if s.sub_indication:
            text += f"/{s.sub_indication.value}"
        if s.indication is not Indication.TOTAL_PASSED and s.errors:
            text += f" ({s.errors[0]})"
        parts.append(text)
    for t in doc_timestamps:
        parts.append(f"document timestamp {t.field_name}: {t.indication.value}")
    return VerificationReport(
        bottom_line=bottom,
        sub_indication=sub,
        summary="; ".join(parts),
        validation_time=now,
        offline=offline,
        policy=policy.name,
        document=doc,
        signatures=tuple(signatures),
        document_timestamps=tuple(doc_timestamps),
        revisions=revisions,
        findings=tuple(findings),
    )
