"""A verification report in plain words, Vietnamese or English: one wording for the JSON
route (`POST /api/v1/verifications`, by `Accept-Language`), the public verification page,
the QR page's file check and the console's verify page.

Everything is worded from the report's structured fields (indication, sub-indication,
modifications and findings by code, problem code), never from the verifier's English
messages, so both languages say the same thing. `describe_match` words what
`signing.issuing.on_record` found about the file (which paper of the vault it is, and whether it is
byte for byte the one on record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from signing.issuing.on_record import FoundBy, RecordKind, RecordMatch
from signing.verify import (
    ChangeKind,
    Indication,
    Severity,
    SignatureReport,
    SubIndication,
    VerificationReport,
)

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
NO_SIGNATURE = "NO_SIGNATURE"
_VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# key -> (Vietnamese, English)
WORDS: dict[str, tuple[str, str]] = {
    # -- the bottom line --------------------------------------------------------------------
    "verdict.passed": (
        "Tất cả chữ ký số đều hợp lệ: tệp chưa bị thay đổi kể từ khi ký.",
        "Every signature is valid: the file has not changed since it was signed.",
    ),
    "verdict.failed": (
        "Có chữ ký số không hợp lệ: không nên tin tưởng tệp này.",
        "At least one signature is invalid: do not rely on this file.",
    ),
    "verdict.indeterminate": (
        "Chưa xác định được tính hợp lệ của chữ ký số (xem chi tiết bên dưới).",
        "The signatures could not be confirmed (see the details below).",
    ),
    "verdict.no_signature": ("Tệp này không có chữ ký số.", "This file has no digital signature."),
    "verdict.cannot_check": ("Không kiểm tra được tệp này.", "This file could not be checked."),
    # -- one signature ------------------------------------------------------------------------
    "indication.TOTAL_PASSED": ("Chữ ký hợp lệ", "Valid signature"),
    "indication.TOTAL_FAILED": ("Chữ ký không hợp lệ", "Invalid signature"),
    "indication.INDETERMINATE": ("Chưa xác định được", "Could not be confirmed"),
    "signature.summary": (
        "{heading}: {signer}, ký lúc {time} ({basis}).",
        "{heading}: {signer}, signed at {time} ({basis}).",
    ),
    "signature.unknown_signer": ("người ký không xác định", "unknown signer"),
    "signature.unknown_time": ("không rõ", "unknown"),
    "time.proven": ("có dấu thời gian chứng thực", "proven by a timestamp"),
    "time.claimed": ("theo khai báo của người ký", "as claimed by the signer"),
    "time.zone": ("{time} (GMT+7)", "{time} (GMT+7)"),
    "certificate.text": (
        "Số hiệu {serial}, do {issuer} cấp, hiệu lực {start} – {end}",
        "Serial {serial}, issued by {issuer}, valid {start} – {end}",
    ),
    "anchor.none": (
        "Không dẫn tới tổ chức cung cấp dịch vụ tin cậy nào",
        "Does not chain to any trusted authority",
    ),
    # -- why a signature is not valid (by sub-indication) -----------------------------------
    "why.hash": (
        "Nội dung đã bị thay đổi sau khi ký.",
        "The content was changed after it was signed.",
    ),
    "why.crypto": (
        "Giá trị chữ ký không khớp với chứng thư số.",
        "The signature value does not match the certificate.",
    ),
    "why.revoked": (
        "Chứng thư số của người ký đã bị thu hồi.",
        "The signer's certificate is revoked.",
    ),
    "why.expired": (
        "Chứng thư số đã hết hạn tại thời điểm ký.",
        "The certificate had expired when it was signed.",
    ),
    "why.not_yet_valid": (
        "Chứng thư số chưa có hiệu lực tại thời điểm ký.",
        "The certificate was not yet valid when it was signed.",
    ),
    "why.untrusted": (
        "Chứng thư số không do tổ chức cung cấp dịch vụ tin cậy cấp.",
        "The certificate does not chain to a trusted authority.",
    ),
    "why.no_certificate": (
        "Không tìm thấy chứng thư số của người ký.",
        "The signer's certificate is missing.",
    ),
    "why.revocation_unknown": (
        "Chưa kiểm tra được tình trạng thu hồi của chứng thư số.",
        "The certificate's revocation status could not be checked.",
    ),
    "why.format": ("Chữ ký không đúng định dạng.", "The signature is malformed."),
    "why.modified": (
        "Tệp đã bị sửa đổi sau khi ký theo cách không được phép.",
        "The file was changed after signing in a way that is not allowed.",
    ),
    "why.byte_range": (
        "Phạm vi dữ liệu được ký (ByteRange) bất thường.",
        "The signed byte range is irregular.",
    ),
    "why.forgery": (
        "Chữ ký giả mạo: thiếu hoặc rỗng dữ liệu chữ ký (/Contents) hay phạm vi ký (/ByteRange).",
        "A forged signature: its /Contents or /ByteRange is missing or empty.",
    ),
    "why.wrapping": (
        "Dữ liệu được ký đã bị dời chỗ trong tệp (tấn công bọc chữ ký).",
        "The signed bytes were moved inside the file (signature wrapping).",
    ),
    "why.shadow": (
        "Nội dung được giấu sẵn trước khi ký đã bị hiện ra hoặc thay thế sau khi ký "
        "(tấn công bóng).",
        "Content hidden before signing was shown or replaced after signing (shadow attack).",
    ),
    "why.incremental": (
        "Nội dung mới được thêm vào sau phần đã ký (tấn công lưu tăng dần).",
        "New content was added after the signed part (incremental saving attack).",
    ),
    "why.overlay": (
        "Một chú thích hoặc ô biểu mẫu thêm vào sau khi ký đè lên nội dung đã ký.",
        "An annotation or form field added after signing lies over the signed content.",
    ),
    "why.signature_dictionary": (
        "Từ điển chữ ký đã bị sửa hoặc không khớp với phần đã ký.",
        "The signature dictionary was changed or does not match the signed part.",
    ),
    "why.signer_infos": (
        "Chữ ký chứa nhiều hơn một người ký (SignerInfo).",
        "The signature holds more than one signer (SignerInfo).",
    ),
    "why.timestamp_copied": (
        "Dấu thời gian bị sao chép hoặc không thuộc về chữ ký này.",
        "A timestamp is copied or does not belong to this signature.",
    ),
    "why.other": (
        "Chữ ký không đáp ứng yêu cầu kiểm tra.",
        "The signature did not pass the checks.",
    ),
    # -- what changed after signing -----------------------------------------------------------
    "changes.none": (
        "Không có thay đổi nào sau khi ký.",
        "Nothing was changed after signing.",
    ),
    "changes.benign": (
        "Sau khi ký chỉ có: {what} (được phép, nội dung không đổi).",
        "After signing only: {what} (allowed; the content is unchanged).",
    ),
    "changes.permitted": (
        "Sau khi ký có thay đổi được người ký cho phép: {what}.",
        "Changed after signing, as the signer allowed: {what}.",
    ),
    "changes.not_permitted": (
        "Sau khi ký có thay đổi KHÔNG được phép: {what}.",
        "Changed after signing, NOT allowed: {what}.",
    ),
    "changes.bytes": (
        "Nội dung được ký đã bị sửa: các byte được ký không còn như lúc ký.",
        "The signed content was altered: the signed bytes are not what was signed.",
    ),
    "change.SIGNATURE_ADDED": ("thêm chữ ký số", "a signature added"),
    "change.DOCUMENT_TIMESTAMP_ADDED": ("thêm dấu thời gian", "a document timestamp added"),
    "change.DSS_UPDATED": (
        "thêm dữ liệu kiểm tra chứng thư (DSS)",
        "certificate validation data (DSS) added",
    ),
    "change.METADATA_UPDATED": ("cập nhật thông tin mô tả tệp", "the file's metadata updated"),
    "change.FORM_FILLED": ("điền biểu mẫu", "form fields filled in"),
    "change.ANNOTATION_ADDED": ("thêm chú thích", "an annotation added"),
    "change.ANNOTATION_CHANGED": ("sửa chú thích", "an annotation changed"),
    "change.ANNOTATION_REMOVED": ("xóa chú thích", "an annotation removed"),
    "change.PAGE_CONTENT_CHANGED": ("sửa nội dung trang", "page content changed"),
    "change.PAGE_RESOURCES_CHANGED": (
        "sửa phông chữ hoặc hình ảnh của trang",
        "page fonts or images changed",
    ),
    "change.PAGE_ATTRIBUTES_CHANGED": ("sửa thuộc tính trang", "page attributes changed"),
    "change.PAGES_ADDED": ("thêm trang", "pages added"),
    "change.PAGES_REMOVED": ("bớt trang", "pages removed"),
    "change.SIGNATURE_FIELD_CHANGED": ("sửa ô chữ ký", "a signature field changed"),
    "change.FORM_STRUCTURE_CHANGED": ("sửa cấu trúc biểu mẫu", "the form's structure changed"),
    "change.CATALOG_CHANGED": ("sửa cấu trúc tài liệu", "the document's structure changed"),
    "change.TRAILER_CHANGED": ("sửa phần cuối tệp (trailer)", "the file trailer changed"),
    "change.XREF_REDIRECTED": (
        "thay đối tượng đã ký bằng đối tượng khác",
        "signed objects redirected to others",
    ),
    "change.UNREFERENCED_OBJECTS": ("thêm đối tượng không dùng đến", "unused objects added"),
    "change.WRITER_ARTEFACT": (
        "phần mềm ghi tệp cập nhật thông tin phụ (được phép)",
        "bookkeeping by the writing software (permitted)",
    ),
    # -- why the file could not be checked at all ---------------------------------------------
    "problem.NOT_A_PDF": ("Tệp không phải là PDF.", "The file is not a PDF."),
    "problem.TOO_LARGE": ("Tệp quá lớn để kiểm tra.", "The file is too large to verify."),
    "problem.UNREADABLE_PDF": ("Tệp PDF bị hỏng, không đọc được.", "The PDF is damaged."),
    "problem.ENCRYPTED": (
        "Tệp PDF được mã hóa, không kiểm tra được.",
        "The PDF is encrypted and cannot be checked.",
    ),
    "problem.UNSUPPORTED_STRUCTURE": (
        "Cấu trúc tệp PDF không được hỗ trợ.",
        "The PDF's structure is not supported.",
    ),
    "problem.TOO_COMPLEX": ("Tệp PDF quá phức tạp để kiểm tra.", "The PDF is too complex."),
    "problem.TIME_LIMIT_EXCEEDED": (
        "Kiểm tra quá thời gian cho phép.",
        "The check took longer than allowed.",
    ),
    "problem.MEMORY_LIMIT_EXCEEDED": (
        "Kiểm tra vượt quá bộ nhớ cho phép.",
        "The check needed more memory than allowed.",
    ),
    "problem.VERIFIER_FAILURE": (
        "Dịch vụ kiểm tra gặp lỗi, vui lòng thử lại.",
        "The verifier failed: try again.",
    ),
    # -- the paper on record ----------------------------------------------------------------
    "record.certified_copy": (
        "Đây là bản sao điện tử có chứng thực số {number}, quyển số {book}, do {office} "
        "chứng thực ngày {date}.",
        "This is electronic certified copy no. {number}, book {book}, certified by "
        "{office} on {date}.",
    ),
    "record.issued_result": (
        "Đây là kết quả giải quyết thủ tục hành chính {number}do {office} cấp ngày {date}.",
        "This is an administrative result {number}issued by {office} on {date}.",
    ),
    "record.claims_copy": (
        "Tệp mang mã tra cứu của bản sao điện tử có chứng thực số {number}, quyển số {book}, "
        "do {office} chứng thực ngày {date}.",
        "The file carries the verification code of electronic certified copy no. {number}, "
        "book {book}, certified by {office} on {date}.",
    ),
    "record.identical": (
        "Tệp trùng khớp từng byte với bản được lưu trong kho.",
        "The file is byte for byte the one on record.",
    ),
    "record.not_identical": (
        "Tệp KHÔNG trùng khớp với bản được lưu trong kho: đây không phải là tệp đã cấp.",
        "The file is NOT the one on record: it differs from the file issued.",
    ),
    "record.then_changes": (
        "Tệp KHÔNG trùng khớp với bản được lưu trong kho: đó là bản đã cấp, có thêm "
        "các thay đổi sau đó.",
        "The file is NOT the one on record: it is the file issued, with changes added after it.",
    ),
    "record.replaced": (
        "Giấy tờ này đã có phiên bản mới thay thế.",
        "A newer version of this paper replaces it.",
    ),
    "record.none": (
        "Tệp không phải là giấy tờ do kho này cấp (bản sao có chứng thực hoặc kết quả đã ký).",
        "The file is not a paper this vault issued (certified copy or signed result).",
    ),
    "record.unknown": ("không rõ", "unknown"),
}


def word(key: str, lang: Lang, **values: Any) -> str:
    vi, en = WORDS[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text


_PRIMARY: dict[str, Lang] = {"vi": "vi", "en": "en"}


def negotiate(accept_language: str | None, default: Lang) -> Lang:
    """The best of vi/en by an Accept-Language header (RFC 9110 § 12.5.4, q-values);
    `default` when there is none or it names neither."""
    if not accept_language:
        return default
    best: tuple[float, int, Lang] | None = None
    for position, item in enumerate(accept_language.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        lang = default if primary == "*" else _PRIMARY.get(primary)
        if lang is not None and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, lang)
    return best[2] if best else default


def fmt_time(value: datetime | None, lang: Lang) -> str:
    if value is None:
        return word("signature.unknown_time", lang)
    return word("time.zone", lang, time=f"{value.astimezone(_VIETNAM):%H:%M:%S %d/%m/%Y}")


# -- the report -----------------------------------------------------------------------------

_WHY = {
    SubIndication.HASH_FAILURE: "why.hash",
    SubIndication.SIG_CRYPTO_FAILURE: "why.crypto",
    SubIndication.REVOKED: "why.revoked",
    SubIndication.REVOKED_NO_POE: "why.revoked",
    SubIndication.REVOKED_CA_NO_POE: "why.revoked",
    SubIndication.EXPIRED: "why.expired",
    SubIndication.OUT_OF_BOUNDS_NO_POE: "why.expired",
    SubIndication.OUT_OF_BOUNDS_NOT_REVOKED: "why.expired",
    SubIndication.NOT_YET_VALID: "why.not_yet_valid",
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: "why.untrusted",
    SubIndication.CHAIN_CONSTRAINTS_FAILURE: "why.untrusted",
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE: "why.untrusted",
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND: "why.no_certificate",
    SubIndication.TRY_LATER: "why.revocation_unknown",
    SubIndication.REVOCATION_OUT_OF_BOUNDS_NO_POE: "why.revocation_unknown",
    SubIndication.FORMAT_FAILURE: "why.format",
}
# Findings (by code) that say why a signature fails, beyond its sub-indication.
_FINDING_WHY = {
    "CHANGE_NOT_PERMITTED": "why.modified",
    "BYTE_RANGE_INCONSISTENT": "why.byte_range",
    "BYTE_RANGE_MALFORMED": "why.byte_range",
    "BYTE_RANGE_GAP_NOT_CONTENTS": "why.byte_range",
    "BYTE_RANGE_NOT_FROM_START": "why.byte_range",
    "BYTE_RANGE_OUTSIDE_FILE": "why.byte_range",
    "BYTE_RANGE_OVERLAP": "why.byte_range",
    "SIGNATURE_MALFORMED": "why.format",
    "UNIVERSAL_SIGNATURE_FORGERY": "why.forgery",
    "SIGNATURE_WRAPPING": "why.wrapping",
    "SHADOW_ATTACK_HIDE": "why.shadow",
    "SHADOW_ATTACK_REPLACE": "why.shadow",
    "SHADOW_ATTACK_HIDE_AND_REPLACE": "why.shadow",
    "INCREMENTAL_SAVING_ATTACK": "why.incremental",
    "FORM_FIELD_OVERLAPS_TEXT": "why.overlay",
    "ANNOTATION_OVERLAPS_TEXT": "why.overlay",
    "SIGNATURE_DICTIONARY_CHANGED": "why.signature_dictionary",
    "SIGNATURE_DICTIONARY_INCONSISTENT": "why.signature_dictionary",
    "MULTIPLE_SIGNER_INFOS": "why.signer_infos",
    "TIMESTAMP_DUPLICATED": "why.timestamp_copied",
    "TIMESTAMP_NOT_FOR_THIS_SIGNATURE": "why.timestamp_copied",
}
# What a later update may add without touching what was signed or shown (signing itself
# updates the file's metadata: its modification date).
_BENIGN = frozenset(
    {
        ChangeKind.SIGNATURE_ADDED,
        ChangeKind.DOCUMENT_TIMESTAMP_ADDED,
        ChangeKind.DSS_UPDATED,
        ChangeKind.METADATA_UPDATED,
    }
)
# "Common Name: X, Organization: Y, Country: VN" (asn1crypto's human-friendly name) -> "X".
_COMMON_NAME = re.compile(r"Common Name: (.+?)(?:, [A-Z][A-Za-z ]*: |$)")


# RFC 4514 ("CN=X,O=Y,C=VN"), as the verifier reports names: the CN, escapes undone.
_RFC4514_CN = re.compile(r"(?:^|,)\s*CN=((?:\\.|[^,\\])+)", re.IGNORECASE)


def common_name(name: str) -> str:
    found = _RFC4514_CN.search(name)
    if found:
        return re.sub(r"\\(.)", r"\1", found[1]).strip()
    found = _COMMON_NAME.search(name)
    return found[1] if found else name


@dataclass(frozen=True, slots=True)
class SignatureWords:
    id: str
    indication: str
    heading: str
    summary: str
    signer: str | None
    organization: str | None
    signed_at: str  # worded, in Vietnam's time
    time_basis: str
    proven: bool
    level: str
    certification: bool
    certificate: str | None
    trust_anchor: str
    reasons: tuple[str, ...]
    changes: str  # what changed after this signature


@dataclass(frozen=True, slots=True)
class ReportWords:
    lang: Lang
    indication: str  # TOTAL_PASSED | TOTAL_FAILED | INDETERMINATE | NO_SIGNATURE
    verdict: str
    problem: str | None
    signatures: tuple[SignatureWords, ...]
    pages: int | None
    sha256: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "indication": self.indication,
            "verdict": self.verdict,
            "problem": self.problem,
            "signatures": [
                {
                    "id": s.id,
                    "indication": s.indication,
                    "summary": s.summary,
                    "reasons": list(s.reasons),
                    "changes_after_signing": s.changes,
                    "certificate": s.certificate,
                    "trust_anchor": s.trust_anchor,
                }
                for s in self.signatures
            ],
        }


# The primary reason comes first: an attack's name before the symptoms it leaves.
_ATTACKS_FIRST = [
    "why.forgery",
    "why.wrapping",
    "why.shadow",
    "why.incremental",
    "why.overlay",
    "why.signature_dictionary",
    "why.signer_infos",
    "why.timestamp_copied",
    *sorted({*_WHY.values(), *_FINDING_WHY.values(), "why.modified", "why.other"}),
]


def _reasons(s: SignatureReport) -> tuple[str, ...]:
    if s.indication is Indication.TOTAL_PASSED:
        return ()
    keys: list[str] = []
    # An attack's own finding first: it is the primary reason, whatever the sub-indication.
    keys.extend(
        _FINDING_WHY[f.code]
        for f in s.findings
        if f.severity is Severity.ERROR and f.code in _FINDING_WHY
    )
    if s.sub_indication is not None:
        keys.append(_WHY.get(s.sub_indication, "why.other"))
    if s.modifications is not None:
        if not s.modifications.permitted:
            keys.append("why.modified")
        keys.extend(
            _FINDING_WHY[f.code]
            for f in s.modifications.findings
            if f.severity is Severity.ERROR and f.code in _FINDING_WHY
        )
    ordered = sorted(dict.fromkeys(keys or ["why.other"]), key=_ATTACKS_FIRST.index)
    return tuple(ordered)


def _changes(s: SignatureReport, lang: Lang) -> str:
    if s.sub_indication is SubIndication.HASH_FAILURE:
        return word("changes.bytes", lang)
    mods = s.modifications
    kinds = [c for c in (mods.changes if mods else ()) if c is not ChangeKind.NO_CHANGE]
    if not kinds:
        return word("changes.none", lang)
    # A kind added to the verifier after this table: its code, rather than no page at all.
    what = ", ".join(
        word(f"change.{c.value}", lang) if f"change.{c.value}" in WORDS else c.value
        for c in dict.fromkeys(kinds)
    )
    if all(c in _BENIGN for c in kinds):
        return word("changes.benign", lang, what=what)
    if mods is not None and mods.permitted:
        return word("changes.permitted", lang, what=what)
    return word("changes.not_permitted", lang, what=what)


def _signature(s: SignatureReport, lang: Lang) -> SignatureWords:
    heading = word(f"indication.{s.indication.value}", lang)
    signer = (s.signer.common_name or s.signer.subject) if s.signer else None
    proven = s.proven_signing_time is not None
    basis = word("time.proven" if proven else "time.claimed", lang)
    when = fmt_time(s.proven_signing_time or s.claimed_signing_time, lang)
    certificate = None
    if s.signer is not None:
        certificate = word(
            "certificate.text",
            lang,
            serial=s.signer.serial_number,
            issuer=common_name(s.signer.issuer),
            start=f"{s.signer.not_before.astimezone(_VIETNAM):%d/%m/%Y}",
            end=f"{s.signer.not_after.astimezone(_VIETNAM):%d/%m/%Y}",
        )
    return SignatureWords(
        id=s.id,
        indication=s.indication.value,
        heading=heading,
        summary=word(
            "signature.summary",
            lang,
            heading=heading,
            signer=signer or word("signature.unknown_signer", lang),
            time=when,
            basis=basis,
        ),
        signer=signer,
        organization=s.signer.organization if s.signer else None,
        signed_at=when,
        time_basis=basis,
        proven=proven,
        level=s.level.value,
        certification=s.certification,
        certificate=certificate,
        trust_anchor=common_name(s.trust_anchor) if s.trust_anchor else word("anchor.none", lang),
        reasons=tuple(word(k, lang) for k in _reasons(s)),
        changes=_changes(s, lang),
    )


def describe(report: VerificationReport, lang: Lang) -> ReportWords:
    if report.problem is not None:
        indication = Indication.INDETERMINATE.value
        verdict = word("verdict.cannot_check", lang)
    elif not report.signatures:
        indication, verdict = NO_SIGNATURE, word("verdict.no_signature", lang)
    else:
        indication = report.bottom_line.value
        verdicts = {"TOTAL_PASSED": "verdict.passed", "TOTAL_FAILED": "verdict.failed"}
        verdict = word(verdicts.get(indication, "verdict.indeterminate"), lang)
    problem = None
    if report.problem is not None:
        key = f"problem.{report.problem.code.value}"
        problem = word(key if key in WORDS else "problem.VERIFIER_FAILURE", lang)
    return ReportWords(
        lang=lang,
        indication=indication,
        verdict=verdict,
        problem=problem,
        signatures=tuple(_signature(s, lang) for s in report.signatures),
        pages=report.document.pages if report.document else None,
        sha256=report.document.sha256 if report.document else None,
    )


def revision_ends(report: VerificationReport) -> tuple[int, ...]:
    """Where each revision of the file ends: a paper on record may be one of them."""
    return tuple(r.end_offset for r in report.revisions)


# -- the paper on record --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchWords:
    kind: str  # certified_copy | issued_result
    identical: bool
    found_by: str
    heading: str  # which paper it is
    status: str  # byte for byte the one on record, or not
    replaced: str | None
    number: str | None
    book: str | None
    office: str | None
    date: str | None
    paper_type: str
    title: str
    record_sha256: str


def describe_match(match: RecordMatch, lang: Lang) -> MatchWords:
    unknown = word("record.unknown", lang)
    office = None
    if match.office_code:
        office = f"{match.office_name or match.office_code} ({match.office_code})"
    day = f"{match.issued_on:%d/%m/%Y}" if match.issued_on else None
    values = {
        "number": match.number or unknown,
        "book": match.book or unknown,
        "office": office or unknown,
        "date": day or unknown,
    }
    if match.kind is RecordKind.CERTIFIED_COPY:
        key = (
            "record.claims_copy"
            if match.found_by is FoundBy.CODE_IN_FILE
            else ("record.certified_copy")
        )
        heading = word(key, lang, **values)
    else:
        # "số ký hiệu X " when the result has one.
        number = f"{match.number} " if match.number else ""
        heading = word("record.issued_result", lang, **{**values, "number": number})
    if match.identical:
        status = word("record.identical", lang)
    elif match.found_by is FoundBy.RECORD_THEN_CHANGES:
        status = word("record.then_changes", lang)
    else:
        status = word("record.not_identical", lang)
    return MatchWords(
        kind=match.kind.value,
        identical=match.identical,
        found_by=match.found_by.value,
        heading=heading,
        status=status,
        replaced=None if match.current else word("record.replaced", lang),
        number=match.number,
        book=match.book,
        office=office,
        date=day,
        paper_type=match.paper_type_name_en if lang == "en" else match.paper_type_name_vi,
        title=match.title,
        record_sha256=match.record_sha256,
    )


def match_to_dict(match: RecordMatch | None, lang: Lang) -> dict[str, Any] | None:
    """The JSON report's `on_record`: the structured match and its two sentences."""
    if match is None:
        return None
    words = describe_match(match, lang)
    return {
        "kind": match.kind.value,
        "identical": match.identical,
        "found_by": match.found_by.value,
        "number": match.number,
        "book": match.book,
        "office_code": match.office_code,
        "office_name": match.office_name,
        "date": match.issued_on.isoformat() if match.issued_on else None,
        "paper_type": match.paper_type,
        "title": match.title,
        "record_sha256": match.record_sha256,
        "current": match.current,
        "heading": words.heading,
        "status": words.status,
    }


__all__ = [
    "LANGS",
    "NO_SIGNATURE",
    "WORDS",
    "Lang",
    "MatchWords",
    "ReportWords",
    "SignatureWords",
    "describe",
    "describe_match",
    "match_to_dict",
    "negotiate",
    "revision_ends",
    "word",
]
