"""The ETSI TS 119 102-2 (v1.2.1) XML validation report, rendered from our report.

It states our combined verdict (not pyHanko's AdES verdict alone), so the byte-level and
modification checks appear as validation constraints with their own status.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import datetime

from signing.verify.report import (
    CertificateInfo,
    Indication,
    SignatureReport,
    SubIndication,
    VerificationReport,
)

VR = "http://uri.etsi.org/19102/v1.2.1#"
DS = "http://www.w3.org/2000/09/xmldsig#"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
_MAIN = {
    Indication.TOTAL_PASSED: "urn:etsi:019102:mainindication:total-passed",
    Indication.TOTAL_FAILED: "urn:etsi:019102:mainindication:total-failed",
    Indication.INDETERMINATE: "urn:etsi:019102:mainindication:indeterminate",
}

ET.register_namespace("vr", VR)
ET.register_namespace("ds", DS)


def _el(parent: ET.Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _status(
    parent: ET.Element, tag: str, indication: Indication, sub: SubIndication | None
) -> ET.Element:
    status = _el(parent, VR, tag)
    _el(status, VR, "MainIndication", _MAIN[indication])
    if sub is not None:
        _el(status, VR, "SubIndication", f"urn:etsi:019102:subindication:{sub.value}")
    return status


def _digest(parent: ET.Element, ns: str, tag: str, hex_value: str) -> None:
    holder = _el(parent, ns, tag)
    _el(holder, DS, "DigestMethod", Algorithm=SHA256_URI)
    _el(holder, DS, "DigestValue", _b64_of_hex(hex_value))


def _b64_of_hex(value: str) -> str:
    return base64.b64encode(bytes.fromhex(value)).decode()


def _vo_id(cert: CertificateInfo) -> str:
    return f"C-{cert.sha256[:16].upper()}"


def _constraint(
    parent: ET.Element, identifier: str, indication: Indication, sub: SubIndication | None
) -> None:
    report = _el(parent, VR, "ValidationConstraint")
    _el(report, VR, "ValidationConstraintIdentifier", identifier)
    status = _el(report, VR, "ConstraintStatus")
    _el(status, VR, "Status", "urn:etsi:019102:constraintStatus:applied")
    _status(report, "ValidationStatus", indication, sub)


def _signature(parent: ET.Element, report: VerificationReport, sig: SignatureReport) -> None:
    svr = _el(parent, VR, "SignatureValidationReport")
    ident = _el(svr, VR, "SignatureIdentifier", id=sig.id)
    if sig.signed_attributes_sha256:
        _digest(ident, VR, "DigestAlgAndValue", sig.signed_attributes_sha256)
    if sig.signature_value_b64:
        _el(ident, DS, "SignatureValue", sig.signature_value_b64)
    _el(ident, VR, "HashOnly", "false")
    _el(ident, VR, "DocHashOnly", "false")

    constraints = _el(svr, VR, "ValidationConstraintsEvaluationReport")
    structural = any(e.startswith(("BYTE_RANGE", "SIGNATURE_MALFORMED")) for e in sig.errors) or (
        sig.scope is not None and sig.scope.coverage.value in ("PARTIAL", "UNKNOWN")
    )
    _constraint(
        constraints,
        "urn:vault:constraint:byte-range",
        Indication.TOTAL_FAILED if structural else Indication.TOTAL_PASSED,
        SubIndication.FORMAT_FAILURE if structural else None,
    )
    if sig.modifications is not None:
        ok = sig.modifications.permitted
        _constraint(
            constraints,
            "urn:vault:constraint:modifications-after-signing",
            Indication.TOTAL_PASSED if ok else Indication.TOTAL_FAILED,
            None if ok else SubIndication.FORMAT_FAILURE,
        )
    if sig.ades is not None:
        _constraint(
            constraints, "urn:vault:constraint:ades", sig.ades.indication, sig.ades.sub_indication
        )

    time_info = _el(svr, VR, "ValidationTimeInfo")
    _el(time_info, VR, "ValidationTime", _time(report.validation_time))
    if sig.proven_signing_time is not None:
        poe = _el(time_info, VR, "BestSignatureTime")
        _el(poe, VR, "POETime", _time(sig.proven_signing_time))
        _el(poe, VR, "TypeOfProof", "urn:etsi:019102:poetype:validation")

    if sig.claimed_signing_time is not None or sig.sub_filter:
        attrs = _el(svr, VR, "SignatureAttributes")
        if sig.claimed_signing_time is not None:
            signing_time = _el(attrs, VR, "SigningTime", Signed="true")
            _el(signing_time, VR, "Time", _time(sig.claimed_signing_time))
        if sig.sub_filter:
            sub_filter = _el(attrs, VR, "SubFilter", Signed="true")
            _el(sub_filter, VR, "SubFilterElement", sig.sub_filter.lstrip("/"))

    if sig.signer is not None:
        info = _el(svr, VR, "SignerInformation")
        _el(info, VR, "SignerCertificate", VOReference=_vo_id(sig.signer))
        _el(info, VR, "Signer", sig.signer.common_name or sig.signer.subject)

    process = _el(svr, VR, "SignatureValidationProcess")
    has_time = sig.proven_signing_time is not None
    _el(
        process,
        VR,
        "SignatureValidationProcessID",
        f"urn:etsi:019102:validationprocess:{'LTVM' if has_time else 'Basic'}",
    )
    status = _status(svr, "SignatureValidationStatus", sig.indication, sig.sub_indication)
    data = _el(status, VR, "AssociatedValidationReportData")
    if sig.certificate_chain:
        chain = _el(data, VR, "CertificateChain")
        _el(chain, VR, "SigningCertificate", VOReference=_vo_id(sig.certificate_chain[0]))
        for cert in sig.certificate_chain[1:-1]:
            _el(chain, VR, "IntermediateCertificate", VOReference=_vo_id(cert))
        if len(sig.certificate_chain) > 1:
            _el(chain, VR, "TrustAnchor", VOReference=_vo_id(sig.certificate_chain[-1]))
    for message in (*sig.errors, *sig.warnings):
        extra = _el(data, VR, "AdditionalValidationReportData")
        item = _el(extra, VR, "ReportData")
        _el(item, VR, "Type", "urn:vault:report:message")
        _el(item, VR, "Value", message)


def render(report: VerificationReport) -> str:
    """The XML report as a string (UTF-8 declared)."""
    root = ET.Element(f"{{{VR}}}ValidationReport")
    for sig in report.signatures:
        _signature(root, report, sig)
    if not report.signatures:
        # A report needs one entry; this one says why nothing could be validated.
        svr = _el(root, VR, "SignatureValidationReport")
        _el(svr, VR, "SignatureIdentifier", id="none")
        status = _status(
            svr, "SignatureValidationStatus", report.bottom_line, report.sub_indication
        )
        data = _el(status, VR, "AssociatedValidationReportData")
        extra = _el(data, VR, "AdditionalValidationReportData")
        item = _el(extra, VR, "ReportData")
        _el(item, VR, "Type", "urn:vault:report:message")
        _el(item, VR, "Value", report.summary)
    certs: dict[str, CertificateInfo] = {}
    for sig in report.signatures:
        for cert in sig.certificate_chain or ((sig.signer,) if sig.signer else ()):
            certs.setdefault(_vo_id(cert), cert)
    if certs:
        objects = _el(root, VR, "SignatureValidationObjects")
        for vo_id, cert in certs.items():
            obj = _el(objects, VR, "ValidationObject", id=vo_id)
            _el(obj, VR, "ObjectType", "urn:etsi:019102:validationObject:certificate")
            representation = _el(obj, VR, "ValidationObjectRepresentation")
            _digest(representation, VR, "DigestAlgAndValue", cert.sha256)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
