"""A labelled corpus for key-field extraction: papers with random people, numbers and dates,
typeset and degraded like `tests.ocr.corpus`, each with the field values it must give.

    labelled = field_corpus.paper(seed=3)            # a Document and its true fields
    page = field_corpus.sample(Tier.DEGRADED, seed=3)  # the same, as a scanned page

Every value is valid (personal numbers match their holder's province, sex and birth year),
so any value read differently from the truth is a reading error: the extractor must either
get it right or flag it. Everything is seeded: the same seed gives the same paper.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from tests.ocr import corpus
from tests.ocr.corpus import Document, Line

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi")
FAMILY += ("Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh", "Lâm", "Tạ")
MIDDLE = {False: ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Đình")}
MIDDLE[True] = ("Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim", "Bích", "Thùy", "Diệu")
GIVEN = {False: ("Hùng", "Nam", "Bảo", "Tùng", "Phước", "Thắng", "Dũng", "Khoa", "Long")}
GIVEN[False] += ("Tuấn", "Hiếu", "Quang", "Trọng", "Lộc", "Khải", "Thành", "Vỹ", "Đạt")
GIVEN[True] = ("Hương", "Lan", "Ánh", "Mai", "Trang", "Hạnh", "Thảo", "Yến", "Nhung", "Hằng")
GIVEN[True] += ("Loan", "Uyên", "Ngân", "Phượng", "Quỳnh", "Nguyệt", "Tuyết", "Diễm")
# Province codes of birth registration and their names (Circular 59/2021/TT-BCA).
PROVINCES = {
    1: "Hà Nội",
    31: "Hải Phòng",
    38: "Thanh Hóa",
    40: "Nghệ An",
    46: "Thừa Thiên Huế",
    48: "Đà Nẵng",
    56: "Khánh Hòa",
    66: "Đắk Lắk",
    74: "Bình Dương",
    75: "Đồng Nai",
    79: "Hồ Chí Minh",
    92: "Cần Thơ",
    96: "Cà Mau",
}
WARDS = ("Tân Mai", "Long Bình", "Trảng Dài", "Hòa Bình", "Phước Thiền", "Bến Nghé", "An Phú")
WARDS += ("Tân Phong", "Quyết Thắng", "Thống Nhất", "Hiệp Hòa", "Bửu Long")
TODAY = date(2025, 6, 30)  # the corpus's "today": every date on a paper is before it


@dataclass(frozen=True, slots=True)
class Person:
    name: str  # in capitals, as the forms print it
    female: bool
    born: date
    province: int
    id_number: str


@dataclass(frozen=True, slots=True)
class Labelled:
    document: Document
    fields: dict[str, str]  # field name -> true value, as ocr.classify names and writes it


def person(rng: random.Random, *, female: bool, born: tuple[int, int]) -> Person:
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[female])} {rng.choice(GIVEN[female])}"
    day = date(born[0], 1, 1) + timedelta(days=rng.randrange((born[1] - born[0]) * 365))
    province = rng.choice(list(PROVINCES))
    century = {1900: 0, 2000: 2}[day.year // 100 * 100] + int(female)
    number = f"{province:03d}{century}{day.year % 100:02d}{rng.randrange(10**6):06d}"
    return Person(name.upper(), female, day, province, number)


def _dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _wordy(day: date) -> str:
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _issued(rng: random.Random, after: date) -> date:
    start = max(after, date(2015, 1, 1))
    return start + timedelta(days=rng.randrange(max(1, (TODAY - start).days)))


_NATIONAL = (
    Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold", "center"),
    Line("Độc lập - Tự do - Hạnh phúc", "bold", "center"),
)


def birth_certificate(rng: random.Random) -> Labelled:
    child = person(rng, female=rng.random() < 0.5, born=(2005, 2025))
    mother = person(rng, female=True, born=(1975, 2002))
    father = person(rng, female=False, born=(1970, 2000))
    issued = _issued(rng, child.born)
    ward = rng.choice(WARDS)
    province = PROVINCES[child.province]
    reference = f"{rng.randrange(1, 2000)}/{issued.year}/TP-KS"
    issuer = f"Ủy ban nhân dân phường {ward}"
    lines = (
        *_NATIONAL,
        Line("GIẤY KHAI SINH", "heading", "center"),
        Line(
            f"Số: {reference}   Quyển số: {rng.randrange(1, 9):02d}/{issued.year}", "body", "center"
        ),
        Line(f"Họ, chữ đệm, tên: {child.name}"),
        Line(f"Ngày, tháng, năm sinh: {_dmy(child.born)}"),
        Line(f"Giới tính: {'Nữ' if child.female else 'Nam'}   Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line(f"Nơi sinh: Bệnh viện Đa khoa {province}, tỉnh {province}"),
        Line(f"Số định danh cá nhân: {child.id_number}"),
        Line(f"Họ, chữ đệm, tên người mẹ: {mother.name}"),
        Line(f"Năm sinh: {mother.born.year}   Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line(f"Họ, chữ đệm, tên người cha: {father.name}"),
        Line(f"Năm sinh: {father.born.year}   Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line(f"Nơi cư trú: phường {ward}, tỉnh {province}"),
        Line(f"Nơi đăng ký: {issuer}"),
        Line(f"{province}, {_wordy(issued)}", "body", "center"),
        Line("NGƯỜI KÝ GIẤY KHAI SINH", "bold", "center"),
        Line("Phó Chủ tịch Lê Văn Thành", "body", "center"),
    )
    truth = {
        "full_name": child.name,
        "date_of_birth": child.born.isoformat(),
        "id_number": child.id_number,
        "reference_number": reference,
        "issue_date": issued.isoformat(),
        "issuer": issuer,
    }
    return Labelled(Document("birth_certificate", lines), truth)


def marriage_certificate(rng: random.Random) -> Labelled:
    husband = person(rng, female=False, born=(1950, 2003))
    wife = person(rng, female=True, born=(1955, 2005))
    issued = _issued(rng, max(husband.born, wife.born) + timedelta(days=18 * 366))
    ward = rng.choice(WARDS)
    reference = f"{rng.randrange(1, 300)}/{issued.year}"
    issuer = f"Ủy ban nhân dân xã {ward}"
    lines = (
        *_NATIONAL,
        Line("GIẤY CHỨNG NHẬN KẾT HÔN", "heading", "center"),
        Line(f"Số: {reference}   Quyển số: 01/{issued.year}", "body", "center"),
        Line(f"Họ, chữ đệm, tên người chồng: {husband.name}"),
        Line(f"Ngày, tháng, năm sinh: {_dmy(husband.born)}"),
        Line("Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line(f"Số định danh cá nhân: {husband.id_number}"),
        Line(f"Nơi cư trú: xã {ward}, tỉnh {PROVINCES[husband.province]}"),
        Line(f"Họ, chữ đệm, tên người vợ: {wife.name}"),
        Line(f"Ngày, tháng, năm sinh: {_dmy(wife.born)}"),
        Line("Dân tộc: Kinh   Quốc tịch: Việt Nam"),
        Line(f"Số định danh cá nhân: {wife.id_number}"),
        Line(f"Nơi cư trú: phường {rng.choice(WARDS)}, tỉnh {PROVINCES[wife.province]}"),
        Line(f"Nơi đăng ký kết hôn: {issuer}"),
        Line(f"Ngày đăng ký: {_wordy(issued)}"),
        Line("TM. ỦY BAN NHÂN DÂN", "bold", "center"),
        Line("Chủ tịch Đỗ Minh Đức", "body", "center"),
    )
    truth = {
        "full_name": husband.name,
        "date_of_birth": husband.born.isoformat(),
        "id_number": husband.id_number,
        "spouse_full_name": wife.name,
        "spouse_date_of_birth": wife.born.isoformat(),
        "spouse_id_number": wife.id_number,
        "reference_number": reference,
        "issue_date": issued.isoformat(),
        "issuer": issuer,
    }
    return Labelled(Document("marriage_certificate", lines), truth)


def criminal_record(rng: random.Random) -> Labelled:
    subject = person(rng, female=rng.random() < 0.5, born=(1950, 2006))
    issued = _issued(rng, subject.born + timedelta(days=18 * 366))
    province = PROVINCES[rng.choice(list(PROVINCES))]
    reference = f"{rng.randrange(1, 9999)}/{issued.year}/LLTP"
    issuer = f"SỞ TƯ PHÁP TỈNH {province.upper()}"
    lines = (
        Line(issuer, "bold", "left"),
        Line(f"Số: {reference}", "body", "left"),
        Line("PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1", "heading", "center"),
        Line("Căn cứ Luật Lý lịch tư pháp ngày 17 tháng 6 năm 2009;", "small"),
        Line(f"Họ và tên: {subject.name}"),
        Line(f"Giới tính: {'Nữ' if subject.female else 'Nam'}"),
        Line(f"Ngày, tháng, năm sinh: {_dmy(subject.born)}"),
        Line(f"Nơi sinh: tỉnh {PROVINCES[subject.province]}"),
        Line("Quốc tịch: Việt Nam   Dân tộc: Kinh"),
        Line(f"Nơi cư trú: phường {rng.choice(WARDS)}, tỉnh {province}"),
        Line(f"Số định danh cá nhân: {subject.id_number}"),
        Line("Tình trạng án tích: Không có án tích."),
        Line(f"{province}, {_wordy(issued)}", "body", "center"),
        Line("KT. GIÁM ĐỐC", "bold", "center"),
        Line("PHÓ GIÁM ĐỐC Nguyễn Hữu Phước", "body", "center"),
    )
    truth = {
        "full_name": subject.name,
        "date_of_birth": subject.born.isoformat(),
        "id_number": subject.id_number,
        "reference_number": reference,
        "issue_date": issued.isoformat(),
        "issuer": issuer,
    }
    return Labelled(Document("criminal_record_extract", lines), truth)


KINDS = (birth_certificate, marriage_certificate, criminal_record)


def paper(seed: int) -> Labelled:
    """Paper `seed`: the kinds in turn, the values drawn from the seed."""
    return KINDS[seed % len(KINDS)](random.Random(seed))


def sample(tier: corpus.Tier | str, seed: int) -> tuple[corpus.Sample, Labelled]:
    """Paper `seed` as a page of a tier: clean, degraded, hard or photo."""
    labelled = paper(seed)
    document = labelled.document
    if tier == "photo":
        from tests.ocr import photo_corpus

        return photo_corpus.photo(document, seed), labelled
    tier = corpus.Tier(tier)
    if tier is corpus.Tier.CLEAN:
        return corpus.clean(document), labelled
    if tier is corpus.Tier.DEGRADED:
        return corpus.degraded(document, seed), labelled
    return corpus.hard(document, seed, turn=(90, 180, 270)[seed % 3]), labelled
