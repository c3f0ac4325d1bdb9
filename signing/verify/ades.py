"""The AdES part of the verdict: pyHanko's signature validation, configured and read as
ETSI EN 319 102-1 indications.

How pyHanko is used, and why:

- Trust anchors are given as an explicit list (never `None`, which would mean the OS
  store), and intermediates from configuration, the signature and the DSS help build paths.
- A signature with a signature timestamp whose message imprint matches is validated at the
  timestamp's time (its proof of existence), with revocation data issued at or after that
  time accepted ("retroactive" revocation information). That is the long-term validation
  (PAdES B-LT) model: the OCSP response or CRL stored in the DSS right after signing shows
  the certificate was not revoked when the signature provably existed, years later and
  offline. Without a usable timestamp, validation is at the current time and needs
  revocation data fresh now.
- pyHanko's AdES module was measured unfit as the sole judge here: `ades_lta_validation`
  answers INDETERMINATE/NO_POE for every B-LT signature without a document timestamp, and
  `ades_with_time_validation` answered TOTAL_PASSED for a signature timestamped two years
  after the signer's certificate expired. So the indication is derived from pyHanko's
  status object (which carries AdES sub-indications for trust problems) plus explicit
  checks of our own: the signing certificate's validity at the proven time, revocation
  before the proven time (REVOKED), every signature timestamp's message imprint.
- Revocation checking is hard-fail: "not revoked" is never assumed for lack of data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import cms, crl, ocsp, tsp, x509
from cryptography import x509 as c_x509
from cryptography.x509.oid import ObjectIdentifier
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESStatus, AdESSubIndic
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import (
    CMSAlgorithmProtectionError,
    DisallowedAlgorithmError,
    NoDSSFoundError,
    SignatureValidationError,
)
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import (
    PdfSignatureStatus,
    TimestampSignatureStatus,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleTrustManager

from signing.verify.algorithms import UnsupportedAlgorithm, VerifierSignatureValidator
from signing.verify.report import (
    CertificateInfo,
    Indication,
    RevocationInfo,
    RevocationStatus,
    SubIndication,
    TimestampKind,
    TimestampReport,
)
from signing.verify.trust import TrustSettings

TIME_TOLERANCE = timedelta(seconds=1)
_HASHES = {
    "sha1": hashlib.sha1,
    "sha224": hashlib.sha224,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
    "sha3_256": hashlib.sha3_256,
    "sha3_384": hashlib.sha3_384,
    "sha3_512": hashlib.sha3_512,
}


@dataclass(frozen=True)
class ValidationMaterial:
    """Certificates and revocation data embedded in the document (DSS, signed attribute)."""

    certs: tuple[x509.Certificate, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()
    problems: tuple[str, ...] = ()

    def merged(self, other: ValidationMaterial) -> ValidationMaterial:
        return ValidationMaterial(
            self.certs + other.certs,
            self.ocsps + other.ocsps,
            self.crls + other.crls,
            self.problems + other.problems,
        )

    def covers(self, cert: x509.Certificate) -> bool:
        """True when some OCSP response or CRL here speaks about `cert`."""
        serial = cert.serial_number
        issuer = cert.issuer
        for response in self.ocsps:
            try:
                basic = response["response_bytes"]["response"].parsed
                for single in basic["tbs_response_data"]["responses"]:
                    if single["cert_id"]["serial_number"].native == serial:
                        return True
            except (KeyError, ValueError, TypeError):
                continue
        # DER comparison: asn1crypto's Name equality runs LDAP string preparation (slow).
        issuer_der = issuer.dump()
        return any(c.issuer.dump() == issuer_der for c in self.crls)


def read_dss(reader: PdfFileReader) -> ValidationMaterial:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return ValidationMaterial()
    problems: list[str] = []
    certs: list[x509.Certificate] = []
    ocsps: list[ocsp.OCSPResponse] = []
    crls: list[crl.CertificateList] = []
    try:
        certs = list(dss.load_certs())
    except Exception as exc:  # a broken DSS entry is reported, not raised
        problems.append(f"unreadable certificate in the DSS: {exc}")
    for item in dss.ocsps:
        try:
            response = ocsp.OCSPResponse.load(item.get_object().data)
            _ = response["response_bytes"]["response"].parsed  # parse now, not mid-validation
            ocsps.append(response)
        except Exception as exc:
            problems.append(f"unreadable OCSP response in the DSS: {exc}")
    for item in dss.crls:
        try:
            value = crl.CertificateList.load(item.get_object().data)
            _ = value.native["tbs_cert_list"]["this_update"]
            crls.append(value)
        except Exception as exc:
            problems.append(f"unreadable CRL in the DSS: {exc}")
    return ValidationMaterial(tuple(certs), tuple(ocsps), tuple(crls), tuple(problems))


def read_revinfo_attribute(signer_info: cms.SignerInfo) -> ValidationMaterial:
    """Adobe's revocation-info-archival signed attribute (PKCS7-LT)."""
    try:
        archival = find_unique_cms_attribute(
            signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
        return ValidationMaterial(
            ocsps=tuple(archival["ocsp"] or ()), crls=tuple(archival["crl"] or ())
        )
    except (MultivaluedAttributeError, NonexistentAttributeError):
        return ValidationMaterial()
    except Exception as exc:
        return ValidationMaterial(problems=(f"unreadable revocation archival attribute: {exc}",))


def rfc4514(name: x509.Name) -> str:
    """A distinguished name as an RFC 4514 string ("CN=...,O=...,C=VN"), most specific
    first, as EU DSS and OpenSSL print them."""
    attributes: list[c_x509.RelativeDistinguishedName] = []
    for rdn in name.chosen:
        parts = []
        for ava in rdn:
            value = ava["value"].native
            text = value if isinstance(value, str) else str(value)
            parts.append(c_x509.NameAttribute(ObjectIdentifier(ava["type"].dotted), text))
        if parts:
            attributes.append(c_x509.RelativeDistinguishedName(parts))
    try:
        return c_x509.Name(attributes).rfc4514_string()
    except ValueError:  # e.g. a country name that is not two letters
        return str(name.human_friendly)


def general_name(value: x509.GeneralName) -> str:
    """A GeneralName (a TSA's name) as text: a directory name in RFC 4514 form."""
    if value.name == "directory_name":
        return rfc4514(value.chosen)
    return f"{value.name}:{value.native}"


def cert_info(cert: x509.Certificate, *, anchor: bool = False) -> CertificateInfo:
    subject = cert.subject.native
    key = cert.public_key
    if key.algorithm == "ec":
        key_desc = f"EC-{key.curve[1]}"
    else:
        key_desc = f"{key.algorithm.upper()}-{key.bit_size}"

    def first(value: object) -> str | None:
        if isinstance(value, list):
            return str(value[0]) if value else None
        return None if value is None else str(value)

    validity = cert["tbs_certificate"]["validity"]
    return CertificateInfo(
        subject=rfc4514(cert.subject),
        common_name=first(subject.get("common_name")),
        organization=first(subject.get("organization_name")),
        organizational_unit=first(subject.get("organizational_unit_name")),
        issuer=rfc4514(cert.issuer),
        serial_number=format(cert.serial_number, "x"),
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
        sha256=cert.sha256.hex(),
        key=key_desc,
        is_trust_anchor=anchor,
    )


@dataclass(frozen=True)
class TimestampToken:
    """A signature timestamp token as found in the unsigned attributes."""

    signed_data: cms.SignedData
    gen_time: datetime | None
    digest_algorithm: str | None
    imprint_ok: bool
    token_sha256: str
    tsa: str | None
    error: str | None = None


def signature_timestamps(signer_info: cms.SignerInfo) -> list[TimestampToken]:
    """Every signature timestamp, with our own check of its message imprint against this
    signature's value: a token copied from another signature fails it."""
    tokens: list[TimestampToken] = []
    try:
        found = list(extract_tst_data_iter(signer_info, signed=False))
    except Exception as exc:
        return [TimestampToken(cms.SignedData(), None, None, False, "", None, f"unreadable: {exc}")]
    signature_value = signer_info["signature"].native
    for signed_data in found:
        digest = hashlib.sha256(signed_data.dump()).hexdigest()
        try:
            info = signed_data["encap_content_info"]["content"].parsed
            if not isinstance(info, tsp.TSTInfo):
                raise ValueError("the token does not encapsulate a TSTInfo")
            algorithm = info["message_imprint"]["hash_algorithm"]["algorithm"].native
            imprint = info["message_imprint"]["hashed_message"].native
            hasher = _HASHES.get(algorithm)
            ok = hasher is not None and hasher(signature_value).digest() == imprint
            tsa = general_name(info["tsa"]) if info["tsa"] else None
            tokens.append(
                TimestampToken(
                    signed_data,
                    info["gen_time"].native,
                    algorithm,
                    ok,
                    digest,
                    tsa,
                    None if hasher else f"unsupported imprint digest algorithm {algorithm}",
                )
            )
        except Exception as exc:
            tokens.append(TimestampToken(signed_data, None, None, False, digest, None, str(exc)))
    return tokens


def validation_context(
    trust: TrustSettings,
    material: ValidationMaterial,
    *,
    moment: datetime | None,
    offline: bool,
) -> ValidationContext:
    roots = [x509.Certificate.load(der) for der in trust.roots]
    extra = [x509.Certificate.load(der) for der in trust.intermediates]
    return ValidationContext(
        # An explicit list, possibly empty: never the operating system's trust store.
        trust_manager=SimpleTrustManager.build(trust_roots=roots),
        other_certs=[*extra, *material.certs],
        ocsps=list(material.ocsps),
        crls=list(material.crls),
        moment=moment,
        retroactive_revinfo=moment is not None,
        allow_fetching=not offline,
        revocation_mode="hard-fail",
        time_tolerance=TIME_TOLERANCE,
        signature_validator=VerifierSignatureValidator(),
    )


@dataclass(frozen=True)
class AdesOutcome:
    indication: Indication
    sub_indication: SubIndication | None
    details: str
    status: PdfSignatureStatus | None
    proven_time: datetime | None  # best-signature-time from a trusted, matching timestamp
    timestamps: tuple[TimestampReport, ...]
    chain: tuple[CertificateInfo, ...]
    trust_anchor: str | None
    revocation: RevocationInfo | None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _sub(indic: AdESSubIndic | None) -> SubIndication | None:
    if indic is None:
        return None
    try:
        return SubIndication(indic.standard_name)
    except ValueError:
        return SubIndication.GENERIC


def chain_problem(indic: AdESSubIndic | None, path: object) -> SubIndication:
    """The same cause, the same sub-indication: no path to a trust anchor at all is
    NO_CERTIFICATE_CHAIN_FOUND, for a signer, a signature timestamp's TSA or a document
    timestamp's alike (pyHanko says it three ways)."""
    sub = _sub(indic)
    generic_chain = (
        None,
        SubIndication.CHAIN_CONSTRAINTS_FAILURE,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    if path is None and sub in generic_chain:
        return SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    return sub or SubIndication.NO_CERTIFICATE_CHAIN_FOUND


def _indication(indic: AdESSubIndic) -> Indication:
    return {
        AdESStatus.PASSED: Indication.TOTAL_PASSED,
        AdESStatus.FAILED: Indication.TOTAL_FAILED,
        AdESStatus.INDETERMINATE: Indication.INDETERMINATE,
    }[indic.status]


def _timestamp_report(
    token: TimestampToken, validity: TimestampSignatureStatus | None
) -> TimestampReport:
    errors: list[str] = []
    if token.error:
        errors.append(token.error)
    if not token.imprint_ok:
        errors.append(
            "the message imprint does not match this signature's value: the token belongs "
            "to another signature (copied timestamp?)"
        )
    tsa = token.tsa
    if validity is None:
        indication, sub = Indication.INDETERMINATE, SubIndication.SIG_CONSTRAINTS_FAILURE
        if token.imprint_ok and not token.error:
            errors.append("not validated: another timestamp of this signature was used")
    else:
        tsa = rfc4514(validity.signing_cert.subject)
        if not validity.intact:
            indication, sub = Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
        elif not validity.valid:
            indication, sub = Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE
        elif not validity.trusted:
            indication = Indication.INDETERMINATE
            sub = chain_problem(validity.trust_problem_indic, validity.validation_path)
            errors.append("the timestamp authority's certificate is not trusted")
        else:
            indication, sub = Indication.TOTAL_PASSED, None
    if errors and indication is Indication.TOTAL_PASSED:
        indication, sub = Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
    return TimestampReport(
        kind=TimestampKind.SIGNATURE_TIMESTAMP,
        indication=indication,
        sub_indication=sub,
        production_time=token.gen_time,
        tsa=tsa,
        digest_algorithm=token.digest_algorithm,
        message_imprint_ok=token.imprint_ok,
        token_sha256=token.token_sha256,
        errors=tuple(errors),
    )


def _chain(status: PdfSignatureStatus) -> tuple[tuple[CertificateInfo, ...], str | None]:
    path = status.validation_path
    if path is None:
        return (cert_info(status.signing_cert),), None
    certs = list(path.iter_certs(include_root=True))  # root first
    if not certs:
        return (cert_info(status.signing_cert),), None
    infos = [cert_info(c, anchor=i == len(certs) - 1) for i, c in enumerate(reversed(certs))]
    return tuple(infos), rfc4514(certs[0].subject)


def _revocation(
    status: PdfSignatureStatus,
    material: ValidationMaterial,
    moment: datetime,
    offline: bool,
    *,
    fetched: int = 0,
) -> RevocationInfo:
    source = "embedded (DSS)" if material.covers(status.signing_cert) else "none embedded"
    if fetched:
        source += f" + fetched online ({fetched} response{'s' if fetched > 1 else ''})"
    elif not offline:
        source += " + online fetching allowed, nothing fetched"
    details = status.revocation_details
    if details is not None:
        return RevocationInfo(
            RevocationStatus.REVOKED,
            moment,
            details.revocation_date,
            str(details.revocation_reason.native),
            source + (" (a CA certificate is revoked)" if details.ca_revoked else ""),
        )
    if status.trusted:
        # hard-fail mode: a trusted path means every certificate's status was established
        return RevocationInfo(RevocationStatus.GOOD, moment, source=source)
    return RevocationInfo(RevocationStatus.UNKNOWN, moment, source=source)


async def validate_signature(
    sig: EmbeddedPdfSignature,
    trust: TrustSettings,
    document_material: ValidationMaterial,
    *,
    offline: bool,
    now: datetime,
    skip_diff: bool = False,
) -> AdesOutcome:
    """`skip_diff`: leave out pyHanko's difference analysis (it fails on revisions without
    a readable catalog; our own analysis then judges the changes)."""
    material = document_material.merged(read_revinfo_attribute(sig.signer_info))
    tokens = signature_timestamps(sig.signer_info)
    candidate = next((t.gen_time for t in tokens if t.imprint_ok and t.gen_time), None)
    warnings = [*material.problems]

    fetched: list[int] = [0]  # revocation responses fetched online by the last run

    async def run(moment: datetime | None) -> PdfSignatureStatus:
        # One context for the signer and its timestamp: the chains share their CAs, whose
        # validation the context then does once.
        vc = validation_context(trust, material, moment=moment, offline=offline)
        embedded = len(material.ocsps) + len(material.crls)
        try:
            return await async_validate_pdf_signature(sig, vc, vc, skip_diff=skip_diff)
        finally:
            fetched[0] = max(0, len(vc.ocsps) + len(vc.crls) - embedded)
            await vc.aclose()  # type: ignore[no-untyped-call]

    try:
        status = await run(candidate)
        ts_validity = status.timestamp_validity
        proven = (
            ts_validity.timestamp
            if ts_validity is not None
            and ts_validity.intact
            and ts_validity.valid
            and ts_validity.trusted
            else None
        )
        if candidate is not None and proven is None:
            # The timestamp did not prove anything: judge at the current time instead.
            warnings.append("no valid signature timestamp: validated at the current time")
            status = await run(None)
    except DisallowedAlgorithmError as exc:
        return _error_outcome(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, exc, tokens)
    except UnsupportedAlgorithm as exc:
        # Not "the signature value does not verify": nobody here could check it.
        return _error_outcome(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, exc, tokens)
    except CMSAlgorithmProtectionError as exc:
        # the algorithms the signer declared do not match those used: a mismatch attack
        return _error_outcome(SubIndication.FORMAT_FAILURE, exc, tokens)
    except SignatureValidationError as exc:
        failure = _sub(exc.ades_subindication) or SubIndication.FORMAT_FAILURE
        return _error_outcome(failure, exc, tokens)
    except (
        NotImplementedError,
        ValueError,
        LookupError,
        TypeError,
        AttributeError,
        AssertionError,  # pyHanko asserts on the shape of some malformed CMS structures
    ) as exc:
        return _error_outcome(SubIndication.FORMAT_FAILURE, exc, tokens)

    ts_reports = tuple(
        _timestamp_report(
            token,
            status.timestamp_validity
            if status.timestamp_validity is not None
            and token.gen_time == status.timestamp_validity.timestamp
            and token.imprint_ok
            else None,
        )
        for token in tokens
    )
    moment = proven or now
    chain, anchor = _chain(status)
    revocation = _revocation(status, material, moment, offline, fetched=fetched[0])
    indication, sub, details = _judge(status, proven, now)
    return AdesOutcome(
        indication=indication,
        sub_indication=sub,
        details=details,
        status=status,
        proven_time=proven,
        timestamps=ts_reports,
        chain=chain,
        trust_anchor=anchor,
        revocation=revocation,
        warnings=tuple(warnings),
    )


_TRUST_PROBLEMS: dict[SubIndication | None, str] = {
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE: "a weak or disallowed algorithm (e.g. SHA-1) is "
    "used in the signature or its certificate chain",
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE: "a weak or disallowed algorithm (e.g. "
    "SHA-1) is used and no proof of existence predates its deprecation",
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: "no chain to a configured trust anchor",
    SubIndication.TRY_LATER: "no sufficiently fresh revocation data is available",
    SubIndication.REVOCATION_OUT_OF_BOUNDS_NO_POE: "the revocation data is not fresh enough",
}


def _judge(
    status: PdfSignatureStatus, proven: datetime | None, now: datetime
) -> tuple[Indication, SubIndication | None, str]:
    if not status.intact:
        return (
            Indication.TOTAL_FAILED,
            SubIndication.HASH_FAILURE,
            "the document digest does not match",
        )
    if not status.valid:
        return (
            Indication.TOTAL_FAILED,
            SubIndication.SIG_CRYPTO_FAILURE,
            "the signature value does not verify with the signer's key",
        )
    cert = status.signing_cert
    validity = cert["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    when = proven or now
    if (
        not status.trusted
        and chain_problem(status.trust_problem_indic, status.validation_path)
        is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    ):
        # No path to an anchor at all: that is the finding, whatever else is wrong too.
        also = ""
        if when > not_after + TIME_TOLERANCE:
            also = f"; also, the signer's certificate expired on {not_after:%Y-%m-%d}"
        elif when < not_before - TIME_TOLERANCE:
            also = f"; also, the signer's certificate is valid only from {not_before:%Y-%m-%d}"
        return (
            Indication.INDETERMINATE,
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            "no chain to a configured trust anchor" + also,
        )
    # Our own check, whatever pyHanko concluded (see the module docstring).
    if when > not_after + TIME_TOLERANCE:
        if proven is not None:
            return (
                Indication.TOTAL_FAILED,
                SubIndication.EXPIRED,
                f"a timestamp proves the signature was made on {proven:%Y-%m-%d %H:%M:%S}Z, after "
                f"the signer's certificate expired on {not_after:%Y-%m-%d}",
            )
        return (
            Indication.INDETERMINATE,
            SubIndication.OUT_OF_BOUNDS_NO_POE,
            f"the signer's certificate expired on {not_after:%Y-%m-%d} and no timestamp proves "
            "the signature existed before",
        )
    if when < not_before - TIME_TOLERANCE:
        indication = Indication.TOTAL_FAILED if proven else Indication.INDETERMINATE
        return (
            indication,
            SubIndication.NOT_YET_VALID,
            f"the signer's certificate is valid only from {not_before:%Y-%m-%d}",
        )
    details = status.revocation_details
    if details is not None:
        if proven is not None and proven >= details.revocation_date:
            sub = SubIndication.REVOKED
            if details.ca_revoked:
                return (
                    Indication.INDETERMINATE,
                    SubIndication.REVOKED_CA_NO_POE,
                    "a CA certificate in the chain was revoked before the signature was made",
                )
            revoked_on = f"{details.revocation_date:%Y-%m-%d %H:%M:%S}Z"
            return (
                Indication.TOTAL_FAILED,
                sub,
                f"the signer's certificate was revoked on {revoked_on} "
                f"({details.revocation_reason.native}), before the time the signature "
                "provably existed",
            )
        return (
            Indication.INDETERMINATE,
            SubIndication.REVOKED_CA_NO_POE if details.ca_revoked else SubIndication.REVOKED_NO_POE,
            "the certificate is revoked and no timestamp proves the signature existed before",
        )
    if status.trust_problem_indic is not None:
        trust_sub = _sub(status.trust_problem_indic)
        return (
            _indication(status.trust_problem_indic),
            trust_sub,
            _TRUST_PROBLEMS.get(
                trust_sub,
                "the certificate chain could not be validated to a configured trust anchor with "
                "revocation data",
            ),
        )
    if not status.trusted:
        return (
            Indication.INDETERMINATE,
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            "no chain to a configured trust anchor",
        )
    return Indication.TOTAL_PASSED, None, "AdES checks passed"


def _error_outcome(sub: SubIndication, exc: Exception, tokens: list[TimestampToken]) -> AdesOutcome:
    failed = sub in {
        SubIndication.FORMAT_FAILURE,
        SubIndication.HASH_FAILURE,
        SubIndication.SIG_CRYPTO_FAILURE,
    }
    message = f"{type(exc).__name__}: {exc}"[:500]
    return AdesOutcome(
        indication=Indication.TOTAL_FAILED if failed else Indication.INDETERMINATE,
        sub_indication=sub,
        details=message,
        status=None,
        proven_time=None,
        timestamps=tuple(_timestamp_report(t, None) for t in tokens),
        chain=(),
        trust_anchor=None,
        revocation=None,
        errors=(f"the signature could not be validated: {message}",),
    )


async def validate_document_timestamp(
    sig: EmbeddedPdfSignature,
    trust: TrustSettings,
    material: ValidationMaterial,
    *,
    offline: bool,
    revision: int | None,
) -> TimestampReport:
    digest = hashlib.sha256(sig.pkcs7_content).hexdigest()
    gen_time: datetime | None = None
    algorithm: str | None = None
    try:
        info = sig.signed_data["encap_content_info"]["content"].parsed
        gen_time = info["gen_time"].native
        algorithm = info["message_imprint"]["hash_algorithm"]["algorithm"].native
    except Exception:  # noqa: S110 - the validation below reports what is wrong
        pass
    vc = validation_context(trust, material, moment=gen_time, offline=offline)
    errors: list[str] = []
    try:
        status = await async_validate_pdf_timestamp(sig, vc)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"[:500]
        return TimestampReport(
            TimestampKind.DOCUMENT_TIMESTAMP,
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            gen_time,
            None,
            algorithm,
            None,
            digest,
            (f"the document timestamp could not be validated: {message}",),
            sig.field_name,
            revision,
        )
    finally:
        await vc.aclose()  # type: ignore[no-untyped-call]
    if not status.intact:
        indication, sub = Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
        errors.append("the document digest does not match the timestamp")
    elif not status.valid:
        indication, sub = Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE
    elif not status.trusted:
        indication = Indication.INDETERMINATE
        sub = chain_problem(status.trust_problem_indic, status.validation_path)
        errors.append("the timestamp authority's certificate is not trusted")
    else:
        indication, sub = Indication.TOTAL_PASSED, None
    return TimestampReport(
        TimestampKind.DOCUMENT_TIMESTAMP,
        indication,
        sub,
        status.timestamp,
        rfc4514(status.signing_cert.subject),
        algorithm,
        status.intact,
        digest,
        tuple(errors),
        sig.field_name,
        revision,
    )
