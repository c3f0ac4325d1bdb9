"""Search over a million indexed pages in PostgreSQL.

value    = p99 latency (ms) of GET /api/v1/search?q=... through the API (first page, limit
           20), sequential requests over one keep-alive connection, as an officer of an
           agency that issued a tenth of the papers and has open dossiers and consents for
           some hundreds of owners: the widest everyday search scope (everything the agency
           issued, plus those warehouses). Snippets, access rules and the audit entries
           included;
baseline = p99 latency (ms) of the SQL that `SearchIndexRepository.search` (ocr.db) sends
           for the same queries (every tier a first page needs), captured from the
           repository in this process and replayed with psycopg;
ratio    = value / baseline. The goal for value is <= 50 ms.

The corpus is bulk-loaded with COPY: PAGES pages (1,000,000; --quick: 100,000) of generated
Vietnamese administrative text (laws cited, names, birth dates, addresses, land parcels,
document numbers...) in documents of 1 to 3 pages, as the OCR worker stores them: page text
in extracted_pages, one search_index row per document with its lexemes. Lexemes come from
the same functions the worker uses (`ocr.search.lexemes_of`), per phrase and cached; a
sample of documents is checked against `lexemes_of` over the whole text. The queries are
names (with and without diacritics), places, document numbers as typed and topic words.

`python bench/search.py serve --host H --port P --log-level L` runs the API with the search
router (included here if the app does not include it yet); the benchmark starts it so.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg
from sqlalchemy import event

from bench import _common, _corpus, _pg_load
from bench._common import log, percentile
from ocr.folding import fold
from ocr.search import SearchFilters, SearchService, lexemes_of
from vault.auth import Actor, ActorKind, Role

NAME = "search"
LIMIT = 20
BATCH = 10_000  # documents per round of COPY statements
AGENCY = _common.AGENCY  # the measured officer's agency
OTHER_AGENCIES = tuple(f"000.00.{n:02d}.H{n + 40:02d}" for n in range(20, 29))
NULL = _corpus.NULL


@dataclass(frozen=True)
class Plan:
    pages: int
    owners: int
    requests: int  # per side
    warmup: int  # per side
    dossiers: int = 200
    consents: int = 100
    block: int = 50  # requests per side before switching to the other


QUICK = Plan(pages=100_000, owners=5_000, requests=1_000, warmup=100)
FULL = Plan(pages=1_000_000, owners=50_000, requests=2_000, warmup=200)


# -- words -------------------------------------------------------------------------------


def _words(text: str, sep: str) -> tuple[str, ...]:
    return tuple(text.split(sep))


FAMILY = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 5),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 1),
    ("Hồ", 1),
    ("Ngô", 1),
    ("Dương", 1),
    ("Lý", 1),
)
MIDDLE_F = ("Thị",) * 6 + ("Ngọc", "Thu", "Thanh", "Minh", "Kim", "Mỹ", "Hồng", "Bích", "Diệu")
MIDDLE_M = ("Văn",) * 5 + ("Đức", "Minh", "Quốc", "Hữu", "Công", "Thanh", "Tuấn", "Xuân")
GIVEN_F = _words(
    "Hương Lan Mai Anh Trang Linh Hà Hạnh Hằng Thảo Nhung Phương Yến Dung Loan Ngọc Tuyết Vân "
    "Nga Thủy Hoa Hiền Huyền Oanh Thư Vy Uyên Trinh Nhi Quyên Giang Châu Diễm Duyên Liên My "
    "Ly Kiều Thắm Hường Nguyệt Xuân Đào Lệ Tâm Ánh Hồng Thúy Trâm",
    " ",
)
GIVEN_M = _words(
    "Nam Hùng Dũng Tuấn Minh Long Hải Sơn Thắng Hoàng Phong Quang Khoa Bảo Huy Đức Trung Kiên "
    "Thành Tùng Cường Hiếu Việt Lâm Phúc Tài Toàn Vinh Tâm Thịnh Đạt Khánh An Bình Tín Nghĩa "
    "Lộc Duy Hưng Phát Dương Khải Lợi Nhân Quý Sang Trí Vũ Hào",
    " ",
)
PROVINCES = _words(
    "Đồng Nai|Bình Dương|Bà Rịa - Vũng Tàu|Long An|Tiền Giang|Cần Thơ|Đà Nẵng|Hải Phòng|"
    "Quảng Ninh|Nghệ An|Thanh Hóa|Thừa Thiên Huế|Khánh Hòa|Lâm Đồng|Đắk Lắk|Gia Lai|Bình Định|"
    "Quảng Nam|Quảng Ngãi|Bình Thuận|Tây Ninh|Bình Phước|An Giang|Kiên Giang|Cà Mau|Bạc Liêu|"
    "Sóc Trăng|Vĩnh Long|Bến Tre|Trà Vinh|Đồng Tháp|Hậu Giang|Nam Định|Thái Bình|Hà Nam|"
    "Ninh Bình|Hưng Yên|Hải Dương|Bắc Ninh|Bắc Giang|Phú Thọ|Vĩnh Phúc|Thái Nguyên|Hà Tĩnh",
    "|",
)
DISTRICTS = _words(
    "thành phố Biên Hòa|huyện Trảng Bom|huyện Nhơn Trạch|thành phố Long Khánh|huyện Long Thành|"
    "huyện Thống Nhất|huyện Vĩnh Cửu|huyện Định Quán|thành phố Thủ Dầu Một|thành phố Dĩ An|"
    "thị xã Bến Cát|huyện Cần Giuộc|thành phố Tân An|quận Ninh Kiều|quận Hải Châu|"
    "quận Lê Chân|thành phố Hạ Long|thành phố Vinh|thành phố Nha Trang|thành phố Đà Lạt",
    "|",
)
WARDS = _words(
    "phường Tân Mai|phường Long Bình|phường Trảng Dài|phường Quyết Thắng|phường Thống Nhất|"
    "xã Hòa Bình|xã Phước Thiền|xã Bình Sơn|xã An Phước|phường Tân Hiệp|phường Hố Nai|"
    "phường Bửu Long|xã Tam An|phường Phú Hòa|phường Chánh Nghĩa|xã Long Phước|phường 3|"
    "phường Tân Phong|xã Xuân Thiện|phường Bình Đa|phường An Bình|xã Hiệp Phước",
    "|",
)
STREETS = _words(
    "đường Lê Lợi|đường Nguyễn Huệ|đường Trần Hưng Đạo|đường Hai Bà Trưng|đường Võ Thị Sáu|"
    "đường Phạm Văn Thuận|đường 30 Tháng 4|đường Đồng Khởi|đường Cách Mạng Tháng Tám|"
    "đường Nguyễn Ái Quốc|đường Hà Huy Giáp|đường Phan Trung|đường Bùi Văn Hòa|"
    "đường Dương Tử Giang|đường Huỳnh Văn Nghệ|đường Lý Thường Kiệt",
    "|",
)
LAWS = (
    "Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Luật Hộ tịch ngày 20 tháng 11 năm 2014;",
    "Luật Đất đai ngày 18 tháng 01 năm 2024;",
    "Luật Xây dựng ngày 18 tháng 6 năm 2014;",
    "Luật Lý lịch tư pháp ngày 17 tháng 6 năm 2009;",
    "Nghị định số 23/2015/NĐ-CP ngày 16 tháng 02 năm 2015 của Chính phủ;",
    "Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ;",
    "Nghị định số 107/2021/NĐ-CP ngày 06 tháng 12 năm 2021 của Chính phủ;",
    "Nghị định số 123/2015/NĐ-CP ngày 15 tháng 11 năm 2015 của Chính phủ;",
    "Thông tư số 01/2018/TT-VPCP ngày 23 tháng 11 năm 2018 của Văn phòng Chính phủ;",
    "Thông tư số 04/2020/TT-BTP ngày 28 tháng 5 năm 2020 của Bộ Tư pháp;",
    "Quyết định số 766/QĐ-TTg ngày 23 tháng 6 năm 2022 của Thủ tướng Chính phủ;",
)
SENTENCES = (
    "Xét đề nghị của Trưởng phòng Tư pháp,",
    "Xét đề nghị của Giám đốc Sở Tài nguyên và Môi trường,",
    "Quyết định này có hiệu lực kể từ ngày ký.",
    "Chánh Văn phòng Ủy ban nhân dân và các cơ quan, đơn vị có liên quan chịu trách nhiệm "
    "thi hành Quyết định này.",
    "Người sử dụng đất phải thực hiện đúng mục đích sử dụng đất và các quy định của pháp luật.",
    "Thời hạn sử dụng: lâu dài.",
    "Nguồn gốc sử dụng: Nhà nước công nhận quyền sử dụng đất.",
    "Hồ sơ đã được tiếp nhận tại Bộ phận Một cửa và giải quyết đúng hạn.",
    "Giấy tờ này được cấp theo yêu cầu của người đề nghị để bổ sung hồ sơ thủ tục hành chính.",
    "Tình trạng án tích: Không có án tích.",
    "Thông tin về việc cấm đảm nhiệm chức vụ: Không bị cấm.",
    "Chứng thực bản sao đúng với bản chính.",
    "Trường hợp phát hiện sai sót, đề nghị liên hệ cơ quan cấp để được hướng dẫn điều chỉnh.",
    "Công trình phải được thi công theo đúng thiết kế đã được phê duyệt và bảo dưỡng định kỳ.",
    "Hộ gia đình, cá nhân được thụ hưởng chính sách hỗ trợ theo quy định hiện hành.",
    "Nơi nhận: Như Điều 3; Lưu: VT, TP.",
    "Bản sao điện tử có giá trị pháp lý như bản chính.",
    "Kết quả giải quyết thủ tục hành chính được gửi qua Cổng Dịch vụ công quốc gia.",
)
ETHNIC = ("Kinh",) * 8 + ("Hoa", "Tày", "Khmer", "Chăm")
LAND_USE = ("đất ở tại đô thị", "đất ở tại nông thôn", "đất trồng cây lâu năm", "đất trồng lúa")
SIGNERS = ("CHỦ TỊCH", "PHÓ CHỦ TỊCH", "KT. GIÁM ĐỐC", "TRƯỞNG PHÒNG", "NGƯỜI KÝ")
NUMBER_KINDS = ("QĐ-UBND", "GP-SXD", "TB-UBND", "UBND-VP", "QĐ-STNMT", "LLTP", "TP-KS", "CT-BS")

# Paper types (seeded codes) with their titles, and how often they occur.
TYPES = (
    ("birth_certificate", "GIẤY KHAI SINH", 20),
    ("chip_id_card", "CĂN CƯỚC CÔNG DÂN", 15),
    ("marriage_certificate", "GIẤY CHỨNG NHẬN KẾT HÔN", 8),
    ("land_use_right_certificate", "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", 12),
    ("criminal_record_extract", "PHIẾU LÝ LỊCH TƯ PHÁP", 8),
    ("procedure_result", "QUYẾT ĐỊNH", 25),
    ("driving_licence", "GIẤY PHÉP LÁI XE", 6),
    ("health_certificate", "GIẤY KHÁM SỨC KHỎE", 6),
)


@cache
def lex(phrase: str) -> frozenset[str]:
    """The lexemes of one phrase, from the worker's own function."""
    return frozenset(lexemes_of([phrase]).split())


class Writer:
    """Builds a page from phrases: its text, and its lexemes as the union of theirs (words
    never span the spaces between phrases, so the union is the page's own lexemes)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lexemes: set[str] = set()

    def line(self, *phrases: str) -> None:
        self.lines.append(" ".join(phrases))
        for phrase in phrases:
            self.lexemes |= lex(phrase)

    def text(self) -> str:
        return "\n".join(self.lines)


class Texts:
    """The words of the pages: names, dates, numbers, places, lines."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        family, weights = zip(*FAMILY, strict=True)
        self._family, self._weights = family, weights

    def name(self) -> str:
        r = self.rng
        female = r.random() < 0.5
        family = r.choices(self._family, self._weights)[0]
        middle = r.choice(MIDDLE_F if female else MIDDLE_M)
        given = r.choice(GIVEN_F if female else GIVEN_M)
        return f"{family} {middle} {given}"

    def date_slash(self, first: int = 1950, last: int = 2024) -> str:
        r = self.rng
        return f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(first, last)}"

    def date_words(self) -> str:
        r = self.rng
        return f"ngày {r.randint(1, 28)} tháng {r.randint(1, 12):02d} năm {r.randint(2015, 2025)}"

    def number(self) -> str:
        r = self.rng
        kind = r.choice(NUMBER_KINDS)
        if kind in ("TP-KS", "LLTP", "CT-BS"):
            return f"{r.randint(1, 2999)}/{r.randint(2015, 2025)}/{kind}"
        return f"{r.randint(1, 999)}/{kind}"

    def place(self) -> tuple[str, ...]:
        r = self.rng
        return (r.choice(WARDS) + ",", r.choice(DISTRICTS) + ",", "tỉnh", r.choice(PROVINCES))

    def page(self, w: Writer, owner_name: str, title: str, number: str, first: bool) -> None:
        r = self.rng
        if first:
            w.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
            w.line("Độc lập - Tự do - Hạnh phúc")
            w.line("ỦY BAN NHÂN DÂN", r.choice(WARDS).upper())
            w.line(title)
            w.line("Số:", number, r.choice(PROVINCES) + ",", self.date_words())
            w.line("Căn cứ", r.choice(LAWS))
            w.line("Căn cứ", r.choice(LAWS))
        lines = r.randint(7, 11)
        for _ in range(lines):
            kind = r.random()
            if kind < 0.16:
                w.line("Họ, chữ đệm, tên:", owner_name.upper())
                w.line(
                    "Ngày, tháng, năm sinh:",
                    self.date_slash(),
                    "Giới tính:",
                    r.choice(("Nam", "Nữ")),
                )
            elif kind < 0.26:
                w.line("Họ và tên người", r.choice(("cha:", "mẹ:", "chồng:", "vợ:")), self.name())
            elif kind < 0.38:
                w.line(
                    "Nơi cư trú: số", str(r.randint(1, 300)), r.choice(STREETS) + ",", *self.place()
                )
            elif kind < 0.46:
                w.line("Nơi sinh:", *self.place())
            elif kind < 0.52:
                w.line(
                    "Số định danh cá nhân:",
                    f"0{r.randint(1, 96):02d}{r.randint(0, 3)}{r.randint(0, 10**8 - 1):08d}",
                )
            elif kind < 0.58:
                w.line("Dân tộc:", r.choice(ETHNIC), "Quốc tịch: Việt Nam")
            elif kind < 0.66:
                w.line(
                    "Thửa đất số",
                    str(r.randint(1, 900)) + ",",
                    "tờ bản đồ số",
                    str(r.randint(1, 60)) + ",",
                    "diện tích",
                    str(r.randint(40, 900)),
                    "m², mục đích sử dụng:",
                    r.choice(LAND_USE) + ".",
                )
            elif kind < 0.72:
                w.line("Căn cứ", r.choice(LAWS))
            elif kind < 0.78:
                w.line("Theo văn bản số", self.number(), self.date_words() + ".")
            else:
                w.line(r.choice(SENTENCES))
        if r.random() < 0.5:
            w.line(r.choice(SIGNERS), self.name())


@dataclass
class Loaded:
    owner_ids: list[str]
    owner_names: list[str]
    scoped_names: list[str]  # names on papers the measured officer may see
    scoped_numbers: list[str]
    documents: int
    pages: int


LOADED_TABLES = (
    "owners",
    "blobs",
    "documents",
    "extracted_texts",
    "extracted_pages",
    "search_index",
    "dossiers",
    "consents",
)
TEXT_COLUMNS = ("document_id", "page_count", "confidence", "extracted_at")
PAGE_COLUMNS = ("document_id", "page_number", "text", "confidence", "source")
INDEX_COLUMNS = (
    "document_id",
    "owner_id",
    "paper_type",
    "issuer_agency_code",
    "issue_date",
    "lexemes",
    "indexed_at",
)


def check_lexemes(samples: list[tuple[list[str], set[str]]]) -> None:
    """The cached per-phrase lexemes must be what the worker computes over a whole document."""
    for texts, fast in samples:
        real = set(lexemes_of(texts).split())
        if real != fast:
            raise AssertionError(f"lexemes differ: {sorted(real ^ fast)[:10]}")


def bulk_load(dsn: str, plan: Plan, rng: random.Random) -> Loaded:
    texts = Texts(rng)
    clock = _corpus.Clock()
    now_ms = time.time_ns() // 1_000_000
    span_ms = 3 * 365 * 86_400_000
    owner_stamps = sorted(
        rng.randrange(now_ms - 2 * span_ms, now_ms - span_ms) for _ in range(plan.owners)
    )
    owner_ids = _corpus.time_ordered_ids(owner_stamps)
    owner_names = [texts.name() for _ in range(plan.owners)]
    types, type_weights = zip(*((t, w) for t, _, w in TYPES), strict=True)
    titles = {t: title for t, title, _ in TYPES}
    loaded = Loaded(owner_ids, owner_names, [], [], 0, 0)
    samples: list[tuple[list[str], set[str]]] = []
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        indexdef = cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_index_lexemes'"
        ).fetchone()
        if indexdef is None:
            raise RuntimeError("the migration made no GIN index on search_index")
        # Built once after the load (as a reindex of a big vault would), not row by row.
        cur.execute("DROP INDEX ix_search_index_lexemes")
        _pg_load.copy(
            cur,
            "owners",
            _pg_load.OWNER_COLUMNS,
            _corpus.owner_rows(owner_ids, owner_stamps, owner_names, rng, clock),
        )
        step = span_ms // (plan.pages // 2)  # about two pages a document
        stamp = now_ms - span_ms
        while loaded.pages < plan.pages:
            blobs, documents, extracted, pages, index = [], [], [], [], []
            stamps = []
            for _ in range(BATCH):
                stamp += rng.randrange(1, step * 2)
                stamps.append(stamp)
            doc_ids = _corpus.time_ordered_ids(stamps)
            blob_ids = _corpus.time_ordered_ids(stamps)
            for k, (doc_id, ms) in enumerate(zip(doc_ids, stamps, strict=True)):
                if loaded.pages >= plan.pages:
                    break
                owner = rng.randrange(plan.owners)
                paper_type = rng.choices(types, type_weights)[0]
                title = titles[paper_type]
                number = texts.number()
                reference = number if rng.random() < 0.5 else None
                issuer_roll = rng.random()
                issuer = (
                    AGENCY
                    if issuer_roll < 0.1
                    else (rng.choice(OTHER_AGENCIES) if issuer_roll < 0.8 else None)
                )
                issued = date.fromtimestamp(ms / 1000) - timedelta(days=rng.randrange(30))
                n_pages = min(rng.choice((1, 2, 2, 3)), plan.pages - loaded.pages)
                lexemes = set(lex(title)) | (lex(reference) if reference else set())
                page_texts = []
                for page_number in range(1, n_pages + 1):
                    writer = Writer()
                    texts.page(writer, owner_names[owner], title, number, page_number == 1)
                    text = writer.text()
                    page_texts.append(text)
                    lexemes |= writer.lexemes
                    pages.append(f"{doc_id}\t{page_number}\t{_corpus.escape(text)}\t0.93\tocr\n")
                loaded.pages += n_pages
                loaded.documents += 1
                if len(samples) < 200 and rng.random() < 0.01:
                    samples.append(([title, reference or "", *page_texts], set(lexemes)))
                if issuer == AGENCY and len(loaded.scoped_names) < 40:
                    loaded.scoped_names.append(owner_names[owner])
                    if reference:
                        loaded.scoped_numbers.append(reference)
                created = clock.stamp(ms)
                blobs.append(
                    _corpus.blob_line(
                        blob_ids[k],
                        rng.randrange(60_000, 900_000),
                        "image/jpeg",
                        "0" * 64,
                        "00" * 60,
                        created,
                    )
                )
                documents.append(
                    _corpus.document_line(
                        doc_id,
                        owner_ids[owner],
                        paper_type,
                        title,
                        reference,
                        issuer,
                        issued.isoformat(),
                        None,
                        "issued_result" if issuer else "digitised",
                        False,
                        doc_id,
                        1,
                        None,
                        blob_ids[k],
                        created,
                    )
                )
                extracted.append(f"{doc_id}\t{n_pages}\t0.93\t{created}\n")
                index.append(
                    f"{doc_id}\t{owner_ids[owner]}\t{paper_type}\t{issuer or NULL}\t"
                    f"{issued.isoformat()}\t{' '.join(lexemes)}\t{created}\n"
                )
            _pg_load.copy(cur, "blobs", _pg_load.BLOB_COLUMNS, blobs)
            _pg_load.copy(cur, "documents", _pg_load.DOCUMENT_COLUMNS, documents)
            _pg_load.copy(cur, "extracted_texts", TEXT_COLUMNS, extracted)
            _pg_load.copy(cur, "extracted_pages", PAGE_COLUMNS, pages)
            _pg_load.copy(cur, "search_index", INDEX_COLUMNS, index)
            conn.commit()
            log(f"  {loaded.pages:>9,} pages in {loaded.documents:,} documents copied")
        check_lexemes(samples)
        log(f"lexemes of {len(samples)} sampled documents match lexemes_of over their text")
        add_grants(cur, plan, owner_ids, rng)
        conn.commit()
        started = time.monotonic()
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute(indexdef[0])
        conn.commit()
        log(f"GIN index built in {time.monotonic() - started:.1f} s")
    return loaded


def add_grants(
    cur: psycopg.Cursor[Any], plan: Plan, owner_ids: list[str], rng: random.Random
) -> None:
    """Open dossiers of the measured agency and consents for it, for some owners."""
    now = datetime.now(UTC)
    chosen = rng.sample(owner_ids, plan.dossiers + plan.consents)
    dossiers = [
        f"{uuid.uuid4()}\t{AGENCY}-250115-{i + 1:04d}\t2.000488\t{AGENCY}\t{owner}\t"
        f"{now.isoformat()}\t{now.isoformat()}\topen\n"
        for i, owner in enumerate(chosen[: plan.dossiers])
    ]
    _pg_load.copy(
        cur,
        "dossiers",
        (
            "id",
            "code",
            "procedure_code",
            "receiving_agency_code",
            "owner_id",
            "received_at",
            "created_at",
            "status",
        ),
        dossiers,
    )
    consents = [
        f"{uuid.uuid4()}\t{owner}\t{AGENCY}\tbirth_certificate,land_use_right_certificate\t"
        f"Vay vốn ngân hàng\t{now.isoformat()}\t{(now + timedelta(days=30)).isoformat()}\n"
        for owner in chosen[plan.dossiers :]
    ]
    _pg_load.copy(
        cur,
        "consents",
        ("id", "owner_id", "agency_code", "paper_types", "purpose", "created_at", "expires_at"),
        consents,
    )


def table_sizes(dsn: str) -> str:
    relations = ("extracted_pages", "search_index", "ix_search_index_lexemes", "documents")
    return _pg_load.table_sizes(dsn, relations)


# -- queries -----------------------------------------------------------------------------


def queries(loaded: Loaded, rng: random.Random) -> list[str]:
    """What officers type: a person's name (as written, and without diacritics), a place,
    a document number as typed, topic words."""
    names = rng.sample(loaded.scoped_names, min(8, len(loaded.scoped_names)))
    numbers = rng.sample(loaded.scoped_numbers, min(4, len(loaded.scoped_numbers)))
    out = [*names, *(fold(n) for n in names[:4]), *numbers]
    out += [
        "Đồng Nai",
        "bien hoa",
        "phường Tân Mai",
        "đường Lê Lợi",
        "duong le loi",
        "giấy chứng nhận quyền sử dụng đất",
        "thua dat so 12",
        "khai sinh " + names[0].split()[-1],
        "Nguyễn Thị Hương",
        "nguyen van nam",
        "phiếu lý lịch tư pháp",
        "Trảng Bom",
    ]
    return out


def officer_actor(database_url: str, base: Path) -> tuple[dict[str, str], Actor]:
    auth = _common.add_officer(database_url, base)
    with _common.local_vault(database_url, base) as vault, vault.uows() as uow:
        account = uow.accounts.by_username(_common.OFFICER)
        assert account is not None
        actor = Actor(
            account.id,
            ActorKind.OFFICER,
            account.full_name,
            roles=frozenset(Role(r) for r in account.roles),
            agency_code=account.agency_code,
        )
    return auth, actor


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Any


def capture(
    database_url: str, base: Path, actor: Actor, qs: list[str]
) -> dict[str, list[Statement]]:
    """The statements `SearchIndexRepository.search` sends for each query's first page."""
    out: dict[str, list[Statement]] = {}
    with _common.local_vault(database_url, base) as vault:
        captured: list[Statement] = []

        @event.listens_for(vault.engine, "before_cursor_execute")
        def record(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
            if "FROM search_index" in statement or "set_config(" in statement:
                captured.append(Statement(statement, parameters))

        service = SearchService(vault.access)
        for q in qs:
            captured.clear()
            with vault.uows() as uow:
                page = service.search(uow, actor, q, SearchFilters(), limit=LIMIT)
                uow.commit()
            if not captured:
                raise RuntimeError(f"no search statement captured for {q!r}")
            out[q] = list(captured)
            log(f"  {q!r}: {len(page.items)} hits, {len(captured)} statement(s)")
    return out


def cycle(items: Sequence[str], rng: random.Random) -> Iterator[str]:
    order = list(items)
    while True:
        rng.shuffle(order)
        yield from order


def api_request(
    client: httpx.Client, q: str, auth: dict[str, str], stages: _common.StageTimes | None = None
) -> float:
    start = time.perf_counter()
    r = client.get("/api/v1/search", params={"q": q, "limit": LIMIT}, headers=auth)
    elapsed = time.perf_counter() - start
    if r.status_code != 200:
        raise RuntimeError(f"search answered {r.status_code}: {r.text[:500]}")
    if stages is not None:
        stages.add(r)
    return elapsed


def sql_request(cur: psycopg.Cursor[Any], statements: list[Statement]) -> float:
    start = time.perf_counter()
    for s in statements:
        cur.execute(s.sql, s.params)
        cur.fetchall()
    return time.perf_counter() - start


def measure(
    plan: Plan,
    client: httpx.Client,
    dsn: str,
    auth: dict[str, str],
    sql: dict[str, list[Statement]],
    rng: random.Random,
    stages: _common.StageTimes,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    api: dict[str, list[float]] = {q: [] for q in sql}
    raw: dict[str, list[float]] = {q: [] for q in sql}
    order = cycle(list(sql), rng)
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        for _ in range(plan.warmup):
            api_request(client, next(order), auth)
            sql_request(cur, sql[next(order)])
        for number in range(plan.requests // plan.block):
            sides = ("api", "sql") if number % 2 == 0 else ("sql", "api")
            for side in sides:
                for _ in range(plan.block):
                    q = next(order)
                    if side == "api":
                        api[q].append(api_request(client, q, auth, stages))
                    else:
                        raw[q].append(sql_request(cur, sql[q]))
        worst = max(sql, key=lambda q: percentile(raw[q], 99) if raw[q] else 0)
        log(f"plan of the slowest query's SQL ({worst!r}):")
        for statement in sql[worst]:
            rows = cur.execute(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.params
            ).fetchall()
            for (line,) in rows:
                print(f"    {line}", flush=True)
    return api, raw


def summary(label: str, ms: Sequence[float]) -> str:
    return (
        f"{label:4}: p50 {percentile(ms, 50):6.2f}  p90 {percentile(ms, 90):6.2f}  "
        f"p99 {percentile(ms, 99):6.2f}  max {max(ms):7.2f} ms  ({len(ms)} requests)"
    )


# -- the API server ----------------------------------------------------------------------


def serve(argv: list[str]) -> None:
    """`vault serve`, with the search router included if the app does not have it yet."""
    import argparse

    import uvicorn

    from api.app import create_app
    from api.routers import search as search_router
    from vault.settings import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    app = create_app(Settings())
    if "/api/v1/search" not in {getattr(r, "path", None) for r in app.routes}:
        app.include_router(search_router.router, prefix="/api/v1")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    rng = random.Random(20_260_301)
    log(f"{NAME}: {plan.pages:,} pages; {plan.requests} requests per side")
    with _common.work_dir(NAME) as base, _common.fresh_database("bench_search") as db_url:
        dsn = _common.libpq_dsn(db_url)
        started = time.monotonic()
        loaded = bulk_load(dsn, plan, rng)
        loaded_at = time.monotonic()
        _pg_load.vacuum_analyze(dsn, LOADED_TABLES)
        log(
            f"loaded {loaded.pages:,} pages in {loaded.documents:,} documents in "
            f"{loaded_at - started:.1f} s, VACUUM ANALYZE {time.monotonic() - loaded_at:.1f} s; "
            f"sizes: {table_sizes(dsn)}"
        )
        auth, actor = officer_actor(db_url, base)
        qs = queries(loaded, rng)
        log(f"{len(qs)} queries; their first pages, in process:")
        sql = capture(db_url, base, actor, qs)
        env = _common.vault_env(database_url=db_url, s3=None, storage_path=base / "objects")
        command = [sys.executable, str(Path(__file__).resolve()), "serve"]
        with (
            _common.api_server(base, env, command=command) as server,
            _common.http_client(server.base_url) as client,
        ):
            stages = _common.StageTimes()
            api, raw = measure(plan, client, dsn, auth, sql, rng, stages)
    api_ms = [1000 * s for v in api.values() for s in v]
    for line in stages.report("API", api_ms):
        log(line)
    sql_ms = [1000 * s for v in raw.values() for s in v]
    for q in sorted(api, key=lambda q: -percentile(api[q], 99)):
        log(
            f"  {q!r:40} API p99 {1000 * percentile(api[q], 99):6.2f}  "
            f"SQL p99 {1000 * percentile(raw[q], 99):6.2f} ms"
        )
    log(summary("API", api_ms))
    log(summary("SQL", sql_ms))
    value = percentile(api_ms, 99)
    baseline = percentile(sql_ms, 99)
    _common.print_result(NAME, value, "ms", baseline, value / baseline)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
    else:
        main()
