"""Paper type suggestions and key fields from recognised text (no OCR here: text in)."""

from __future__ import annotations

import pytest

from ocr.classify import classify, extract_fields, suggest_types
from tests.ocr import corpus


@pytest.mark.parametrize(
    ("document", "paper_type"),
    [
        (corpus.BIRTH_CERTIFICATE, "birth_certificate"),
        (corpus.MARRIAGE_CERTIFICATE, "marriage_certificate"),
        (corpus.CRIMINAL_RECORD_EXTRACT, "criminal_record_extract"),
    ],
)
def test_type_from_heading(document: corpus.Document, paper_type: str) -> None:
    result = classify(document.truth)
    assert result.paper_type is not None
    assert result.paper_type.paper_type == paper_type
    assert result.paper_type.confidence >= 0.9
    # Nothing else comes close.
    assert all(s.confidence < 0.6 for s in result.types[1:])
    assert result.certified_copy == 0


@pytest.mark.parametrize(
    ("heading", "paper_type"),
    [
        ("GIAY KHAI SINH", "birth_certificate"),  # typed without diacritics
        ("GlẤY KHAl SINH", "birth_certificate"),  # OCR: l for I
        ("GIẤY CHỨNG NHẬN KẾT HỎN", "marriage_certificate"),  # a wrong tone mark
        ("PHIẾU LÝ LỊCH TƯ PHÁP SỐ 2", "criminal_record_extract"),
        ("PHIEU LY LICH TU PHAP", "criminal_record_extract"),
        ("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", "land_use_right_certificate"),
        ("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "household_business_registration"),
        ("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP", "business_registration_certificate"),
        ("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "marital_status_certificate"),
        ("CĂN CƯỚC CÔNG DÂN", "chip_id_card"),
        ("GIẤY PHÉP LÁI XE", "driving_licence"),
        ("GIẤY KHÁM SỨC KHỎE", "health_certificate"),
        ("BẰNG TỐT NGHIỆP", "diploma"),
        ("QUYẾT ĐỊNH", "procedure_result"),
    ],
)
def test_heading_variants(heading: str, paper_type: str) -> None:
    text = f"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n{heading}\nSố: 1/2025"
    types = suggest_types(text)
    assert types[0].paper_type == paper_type


def test_unrelated_text_suggests_nothing() -> None:
    text = "Biên bản họp tổ dân phố số 4\nNội dung: vệ sinh môi trường, đường sá"
    result = classify(text)
    assert result.types == ()
    assert result.paper_type is None
    assert result.fields == ()


def test_ocr_confidence_scales_the_suggestion() -> None:
    sure = classify(corpus.BIRTH_CERTIFICATE.truth, 1.0).paper_type
    unsure = classify(corpus.BIRTH_CERTIFICATE.truth, 0.5).paper_type
    assert sure is not None and unsure is not None
    assert unsure.confidence == pytest.approx(sure.confidence / 2, abs=0.01)


def test_certified_copy_marker() -> None:
    result = classify(corpus.CERTIFIED_COPY.truth)
    assert result.certified_copy >= 0.9
    # The copied paper is named in a sentence, not as a title: a weaker suggestion.
    assert result.paper_type is not None
    assert result.paper_type.paper_type == "birth_certificate"
    assert result.paper_type.confidence < 0.7


def test_certified_copy_marker_with_ocr_errors() -> None:
    assert classify("CHUNG THUC BAN SAO DUNG VOl BAN CHlNH").certified_copy >= 0.8


def test_birth_certificate_fields() -> None:
    result = classify(corpus.BIRTH_CERTIFICATE.truth, 0.95)
    values = {f.name: f.value for f in result.fields}
    assert values == {
        "full_name": "NGUYỄN THỊ HƯƠNG",  # the child, not the parents
        "date_of_birth": "2024-03-15",
        "id_number": "075324001234",
        "reference_number": "123/2024/TP-KS",
        "issue_date": "2024-03-20",
        "issuer": "Ủy ban nhân dân phường Tân Mai",
    }
    assert all(0.5 < f.confidence <= 0.95 for f in result.fields)
    assert not any(f.needs_review for f in result.fields), result.fields


def test_marriage_certificate_names_both_spouses() -> None:
    fields = extract_fields(corpus.MARRIAGE_CERTIFICATE.truth, "marriage_certificate")
    values = {f.name: f.value for f in fields}
    assert values["full_name"] == "PHẠM QUỐC BẢO"
    assert values["spouse_full_name"] == "LÊ THỊ NGỌC ÁNH"
    assert values["date_of_birth"] == "1994-09-02"
    assert values["spouse_date_of_birth"] == "1997-11-21"
    assert values["id_number"] == "075094012345"
    assert values["spouse_id_number"] == "075197006789"
    assert values["reference_number"] == "45/2025"
    assert values["issue_date"] == "2025-01-15"


def test_criminal_record_fields_skip_the_law_date() -> None:
    result = classify(corpus.CRIMINAL_RECORD_EXTRACT.truth)
    issue = result.field("issue_date")
    assert issue is not None
    # "Căn cứ Luật ... ngày 17 tháng 6 năm 2009" is the law's date, not the extract's.
    assert issue.value == "2025-01-15"
    reference = result.field("reference_number")
    assert reference is not None and reference.value == "1520/2025/LLTP"


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("Số: 15/QĐ-UBND", "15/QĐ-UBND"),
        ("Số: 123/2024/TP-KS   Quyển số: 01/2024", "123/2024/TP-KS"),
        ("Số : 15 / QĐ-UBND", "15/QĐ-UBND"),  # OCR spaces
        ("SỐ: l5/QĐ-UBND", "15/QĐ-UBND"),  # OCR: l for 1
    ],
)
def test_reference_numbers(line: str, value: str) -> None:
    fields = extract_fields(f"QUYẾT ĐỊNH\n{line}\nHà Nội, ngày 3 tháng 1 năm 2025", "x")
    reference = next(f for f in fields if f.name == "reference_number")
    assert reference.value == value


def test_id_number_repaired_from_letters_with_lower_confidence() -> None:
    clean = extract_fields("Số định danh cá nhân: 075324001234", "birth_certificate")
    read = extract_fields("Số định danh cá nhân: O75324OO1234", "birth_certificate")
    assert clean[0].value == read[0].value == "075324001234"
    assert read[0].confidence < clean[0].confidence
    assert read[0].problems == ("repaired",) and read[0].needs_review
    assert not clean[0].needs_review


def test_invalid_id_number_is_flagged() -> None:
    # Province 099 does not exist (001-096).
    fields = extract_fields("Số định danh cá nhân: 099324001234", "birth_certificate")
    assert fields[0].value == "099324001234"
    assert fields[0].confidence <= 0.5
    assert fields[0].problems == ("province_code",) and fields[0].needs_review


def test_impossible_dates_are_flagged_not_dropped() -> None:
    fields = extract_fields("Ngày, tháng, năm sinh: 31/02/2024", "birth_certificate")
    (born,) = [f for f in fields if f.name == "date_of_birth"]
    assert born.value == "2024-02-31"  # the digits as read, for the officer to correct
    assert born.problems == ("calendar",) and born.needs_review


def test_fields_from_a_text_without_diacritics() -> None:
    text = "GIAY KHAI SINH\nHo, chu dem, ten: NGUYEN THI HUONG\nNgay, thang, nam sinh: 15/03/2024"
    values = {f.name: f.value for f in classify(text).fields}
    assert values["full_name"] == "NGUYEN THI HUONG"
    assert values["date_of_birth"] == "2024-03-15"
