"""A realistic synthetic province: ten years of tips and figure records, cached between runs.

The schema is made by the bot's own migrations and the units by its own repository; the bulk
rows then go in with plain `sqlite3.executemany` in large transactions (the generator is not
the thing measured). The shape follows what provinces report:

- a 3-level tree: one province, its districts, about 130 communes and wards;
- tips skewed like real ones: a few busy communes (Zipf weights), seasonal months (Tết and the
  end of the year are busy), a yearly growth as the bot spreads, about 8% with no unit (the
  resident did not know where), most categories rare and drugs, theft and fraud common; old
  tips are closed, recent ones still open; most were first acted on within hours;
- figure records as communes file them: monthly flows, quarterly stocks, district-only and
  province-only indicators, and about 1% corrections that supersede an earlier record.

The file is `bench-results/data-<hash>.sqlite3`, the hash covering the parameters, the generator
version and the migrations, so a schema change regenerates it.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import hashlib
import itertools
import json
import logging
import math
import os
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from bench.config import DataSize
from bot.db import Database, migrate
from bot.db.migrations import MIGRATIONS
from bot.units.repository import UnitRecord, UnitsRepository

log = logging.getLogger(__name__)

# Bump when the generated rows change shape, so cached files are made again.
GENERATOR_VERSION: Final = 3
ZONE: Final = ZoneInfo("Asia/Ho_Chi_Minh")
CREATED: Final = datetime(2013, 12, 1, tzinfo=UTC)
_CHUNK: Final = 50_000

# The Kiên Giang district-level units of 2013–2023 (docs: DOMAIN.md), in the order they are used.
DISTRICTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("KG-RG", "Thành phố Rạch Giá", "Rach Gia City"),
    ("KG-PQ", "Thành phố Phú Quốc", "Phu Quoc City"),
    ("KG-HT", "Thành phố Hà Tiên", "Ha Tien City"),
    ("KG-AB", "Huyện An Biên", "An Bien District"),
    ("KG-AM", "Huyện An Minh", "An Minh District"),
    ("KG-CT", "Huyện Châu Thành", "Chau Thanh District"),
    ("KG-GT", "Huyện Giang Thành", "Giang Thanh District"),
    ("KG-GR", "Huyện Giồng Riềng", "Giong Rieng District"),
    ("KG-GQ", "Huyện Gò Quao", "Go Quao District"),
    ("KG-HD", "Huyện Hòn Đất", "Hon Dat District"),
    ("KG-KH", "Huyện Kiên Hải", "Kien Hai District"),
    ("KG-KL", "Huyện Kiên Lương", "Kien Luong District"),
    ("KG-TH", "Huyện Tân Hiệp", "Tan Hiep District"),
    ("KG-UMT", "Huyện U Minh Thượng", "U Minh Thuong District"),
    ("KG-VTH", "Huyện Vĩnh Thuận", "Vinh Thuan District"),
)
_PLACE_WORDS: Final = (
    "Vĩnh Thanh", "Vĩnh Quang", "An Hòa", "An Bình", "Rạch Sỏi", "Phi Thông", "Định An",
    "Tân Hiệp", "Thạnh Đông", "Mỹ Lâm", "Sơn Kiên", "Bình Sơn", "Thổ Sơn", "Nam Thái",
    "Đông Hòa", "Tây Yên", "Hòa Chánh", "Ngọc Chúc", "Bàn Thạch", "Long Thạnh", "Vĩnh Hòa",
    "Dương Đông", "An Thới", "Cửa Cạn", "Gành Dầu", "Hàm Ninh", "Bãi Thơm", "Tô Châu",
    "Mỹ Đức", "Thuận Yên", "Minh Thuận", "Vân Khánh", "Đông Thái", "Thạnh Lộc", "Mong Thọ",
)  # fmt: skip
# Category weights: drugs, theft and fraud dominate resident tips; weapons and wanted are rare.
CATEGORY_WEIGHTS: Final[tuple[tuple[str, str, float], ...]] = (
    ("drugs", "to_giac", 22.0),
    ("theft", "to_giac", 18.0),
    ("fraud", "to_giac", 15.0),
    ("gambling", "to_giac", 9.0),
    ("loan_sharking", "to_giac", 6.0),
    ("violence", "to_giac", 10.0),
    ("dispute", "phan_anh", 11.0),
    ("wanted", "tin_bao", 1.5),
    ("weapons", "to_giac", 1.0),
    ("other", "phan_anh", 6.5),
)
# Tết (January–February) and the year's end are busy; the rainy season is quieter.
SEASON: Final = (1.30, 1.35, 1.00, 0.95, 0.90, 0.85, 0.80, 0.85, 0.95, 1.00, 1.05, 1.25)
# Where finished tips end up (old tips); recent ones are still being worked on.
FINAL_STATUSES: Final = (
    ("closed", 62.0),
    ("verified", 12.0),
    ("unfounded", 9.0),
    ("spam", 6.0),
    ("transferred", 8.0),
    ("verifying", 3.0),
)
OPEN_STATUSES: Final = (
    ("received", 30.0),
    ("taken", 30.0),
    ("verifying", 25.0),
    ("verified", 5.0),
    ("transferred", 5.0),
    ("spam", 5.0),
)
_STORIES: Final = (
    "Có người bán ma túy ở đầu hẻm mỗi tối, khoảng 9 giờ, thường đi xe máy màu đen.",
    "Một nhóm thanh niên tụ tập đánh bạc ở quán nước gần chợ, ồn ào đến khuya.",
    "Nhà tôi bị trộm xe đạp trong sân lúc nửa đêm, camera hàng xóm có quay được.",
    "Có người gọi điện xưng là công an, yêu cầu chuyển tiền để 'xác minh tài khoản'.",
    "Hai gia đình cãi nhau vì ranh giới đất, sợ xảy ra xô xát, mong được hòa giải.",
    "Có đối tượng cho vay nặng lãi, đến nhà đe dọa và tạt sơn vào cửa.",
    "Thấy người lạ mặt mang theo vật giống súng tự chế ở bến tàu.",
    "Nhóm người đua xe trái phép trên đường ven biển vào tối thứ bảy.",
    "Cửa hàng điện thoại bị giật túi xách của khách trước cửa, đối tượng chạy về hướng cầu.",
    "Một người bị truy nã hình như đang ở nhờ nhà người quen trong xóm.",
)  # fmt: skip
_SUFFIXES: Final = (
    "",
    " Tôi không dám báo tên vì sợ bị trả thù.",
    " Việc này đã xảy ra nhiều lần trong tháng.",
    " Mong các anh xác minh sớm.",
    " Tôi có chụp ảnh, có thể gửi thêm nếu cần.",
)
_CODE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class Dataset:
    """A generated file and what the benchmarks need to know about it."""

    path: Path
    size: DataSize
    province: str
    # The busiest district and its busiest commune: the worst case of their levels.
    district: str
    commune: str
    # How long generating it took, and whether this run found it already made.
    generated_seconds: float | None
    cached: bool = False

    @property
    def year(self) -> str:
        """Return the last year as a period label."""
        return str(self.size.last_year)

    @property
    def decade(self) -> str:
        """Return the whole span of the data as a period label."""
        return f"{self.size.first_year}..{self.size.last_year}"


def data_hash(size: DataSize) -> str:
    """Return the hash naming a data set: parameters, generator version and migrations."""
    key = {
        "size": size.as_dict(),
        "generator": GENERATOR_VERSION,
        "migrations": [(step.version, step.name, step.statements) for step in MIGRATIONS],
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def dataset_path(size: DataSize, folder: Path) -> Path:
    """Return where the data set of this size is (or will be) cached."""
    return folder / f"data-{data_hash(size)}.sqlite3"


def dataset(size: DataSize, folder: Path) -> Dataset:
    """Return the cached data set of this size, generating it first if needed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = dataset_path(size, folder)
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        return Dataset(
            path,
            size,
            meta["province"],
            meta["district"],
            meta["commune"],
            meta.get("seconds"),
            True,
        )
    started = time.perf_counter()
    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    asyncio.run(_create_schema(partial, size))
    district, commune = _fill(partial, size)
    partial.replace(path)
    elapsed = time.perf_counter() - started
    meta = {"province": "KG", "district": district, "commune": commune, "seconds": elapsed}
    meta_path.write_text(json.dumps(meta, indent=2))
    log.info("generated %s in %.1f s", path, elapsed)
    return Dataset(path, size, "KG", district, commune, elapsed, False)


# ---------------------------------------------------------------- units


def unit_records(size: DataSize) -> list[UnitRecord]:
    """Return the tree: the province, its districts, then communes spread over the districts."""
    if not 1 <= size.districts <= len(DISTRICTS):
        raise ValueError(f"districts must be 1..{len(DISTRICTS)}")
    rng = random.Random(size.seed)
    records = [UnitRecord("KG", "Tỉnh Kiên Giang", "Kien Giang Province", None, "province")]
    districts = DISTRICTS[: size.districts]
    records.extend(UnitRecord(code, vi, en, "KG", "district") for code, vi, en in districts)
    # Cities have more wards than island districts: uneven shares, every district at least one.
    shares = [rng.uniform(0.5, 1.6) for _ in districts]
    counts = [1] * len(districts)
    for _ in range(size.communes - len(districts)):
        index = rng.choices(range(len(districts)), weights=shares)[0]
        counts[index] += 1
    for (code, _vi, _en), count in zip(districts, counts, strict=True):
        for number in range(1, count + 1):
            word = _PLACE_WORDS[(number * 7 + len(code)) % len(_PLACE_WORDS)]
            kind_vi, kind_en = (
                ("Phường", "Ward")
                if code.endswith(("RG", "HT", "PQ"))
                else (
                    "Xã",
                    "Commune",
                )
            )
            records.append(
                UnitRecord(
                    f"{code}-{number:02d}",
                    f"{kind_vi} {word} {number}",
                    f"{word} {kind_en} {number}",
                    code,
                    "commune",
                )
            )
    return records


async def _create_schema(path: Path, size: DataSize) -> None:
    db = Database(path)
    await db.open()
    try:
        await migrate(db)
        await UnitsRepository(db).save_all(unit_records(size), CREATED)
    finally:
        await db.close()


# ---------------------------------------------------------------- filling


def _fill(path: Path, size: DataSize) -> tuple[str, str]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # Loading, not serving: no journal, no fsync, a big cache. The file is renamed into
        # place only when complete, so a crash leaves no half-made cache behind.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")
        conn.execute("PRAGMA temp_store=MEMORY")
        units = {
            str(row[0]): (int(row[1]), row[2], str(row[3]))
            for row in conn.execute("SELECT code, id, parent_id, level FROM units")
        }
        rng = random.Random(size.seed)
        commune_weights = _commune_weights(units, rng)
        _fill_tips(conn, size, units, commune_weights, rng)
        _fill_figures(conn, size, units, commune_weights, rng)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
        busiest = max(commune_weights, key=lambda code: commune_weights[code])
        by_district: dict[str, float] = {}
        for code, weight in commune_weights.items():
            district = code.rsplit("-", 1)[0]
            by_district[district] = by_district.get(district, 0.0) + weight
        district = max(by_district, key=lambda code: by_district[code])
        commune = max(
            (code for code in commune_weights if code.startswith(district + "-")),
            key=lambda code: commune_weights[code],
        )
        log.debug("busiest commune overall %s", busiest)
        return district, commune
    finally:
        conn.close()


def _commune_weights(
    units: dict[str, tuple[int, Any, str]], rng: random.Random
) -> dict[str, float]:
    """Zipf weights over the communes in a shuffled order: a few are very busy."""
    communes = sorted(code for code, (_id, _parent, level) in units.items() if level == "commune")
    rng.shuffle(communes)
    return {code: 1.0 / (rank + 1) ** 0.9 for rank, code in enumerate(communes)}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _months(size: DataSize) -> list[tuple[int, int]]:
    return [
        (year, month)
        for year in range(size.first_year, size.last_year + 1)
        for month in range(1, 13)
    ]


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=ZONE)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _pick(options: Sequence[tuple[str, float]], rng: random.Random) -> str:
    return rng.choices([name for name, _w in options], weights=[w for _n, w in options])[0]


def _tip_times(size: DataSize, rng: random.Random) -> list[datetime]:
    """Return the receipt moments of every tip, oldest first: growth, seasons, busy evenings."""
    months = _months(size)
    weights: list[float] = []
    for year, month in months:
        days = (_month_start(*_next_month(year, month)) - _month_start(year, month)).days
        growth = 1.0 + 0.18 * (year - size.first_year)
        weights.append(growth * SEASON[month - 1] * days)
    chosen = rng.choices(range(len(months)), weights=weights, k=size.tips)
    counts = [0] * len(months)
    for index in chosen:
        counts[index] += 1
    # Residents write in the day and the evening more than at night.
    hour_weights = [0.2] * 6 + [0.8, 1.2, 1.4, 1.4, 1.3, 1.1, 1.0, 1.0, 1.1, 1.2, 1.3, 1.4]
    hour_weights += [1.6, 1.8, 1.9, 1.6, 1.0, 0.5]
    cumulative = list(itertools.accumulate(hour_weights))
    moments: list[datetime] = []
    for (year, month), count in zip(months, counts, strict=True):
        start = _month_start(year, month)
        days = (_month_start(*_next_month(year, month)) - start).days
        stamps: list[float] = []
        for _ in range(count):
            hour = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
            stamps.append(
                rng.randrange(days) * 86400.0 + min(hour, 23) * 3600.0 + rng.randrange(3600)
            )
        stamps.sort()
        moments.extend(start + timedelta(seconds=seconds) for seconds in stamps)
    return moments


def _codes(count: int, rng: random.Random) -> list[str]:
    seen: set[str] = set()
    codes: list[str] = []
    while len(codes) < count:
        raw = "".join(rng.choices(_CODE_ALPHABET, k=8))
        code = f"TB-{raw[:4]}-{raw[4:]}"
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def _fill_tips(
    conn: sqlite3.Connection,
    size: DataSize,
    units: dict[str, tuple[int, Any, str]],
    commune_weights: dict[str, float],
    rng: random.Random,
) -> None:
    communes = list(commune_weights)
    commune_ids = [units[code][0] for code in communes]
    commune_cumulative = list(itertools.accumulate(commune_weights[code] for code in communes))
    district_ids = [unit_id for unit_id, _parent, level in units.values() if level == "district"]
    categories = [code for code, _legal, _w in CATEGORY_WEIGHTS]
    category_cumulative = list(itertools.accumulate(w for _c, _l, w in CATEGORY_WEIGHTS))
    legal = {code: legal for code, legal, _w in CATEGORY_WEIGHTS}
    residents = max(10, size.tips * 2 // 5)
    now = datetime(size.last_year + 1, 1, 1, tzinfo=ZONE)
    moments = _tip_times(size, rng)
    codes = _codes(size.tips, rng)
    tips: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    evidence: list[tuple[Any, ...]] = []
    outbox: list[tuple[Any, ...]] = []
    cards: list[tuple[Any, ...]] = []
    evidence_id = 0
    for index, received in enumerate(moments):
        tip_id = index + 1
        draw = rng.random()
        if draw < 0.08:
            unit_id: int | None = None
            place_kind = "unknown" if draw < 0.05 else "address"
        elif draw < 0.11:
            unit_id = rng.choice(district_ids)
            place_kind = "address"
        else:
            pick = bisect.bisect_right(commune_cumulative, rng.random() * commune_cumulative[-1])
            unit_id = commune_ids[min(pick, len(commune_ids) - 1)]
            place_kind = rng.choice(("unit", "unit", "location", "address"))
        pick = bisect.bisect_right(category_cumulative, rng.random() * category_cumulative[-1])
        category = categories[min(pick, len(categories) - 1)]
        age_days = (now - received).days
        status = _pick(FINAL_STATUSES if age_days > 45 else OPEN_STATUSES, rng)
        first_action: datetime | None = None
        if status != "received":
            # Log-normal, median about five hours; a few wait for days.
            hours = min(720.0, max(0.03, math.exp(rng.gauss(math.log(5.0), 1.3))))
            first_action = received + timedelta(hours=hours)
        story = _STORIES[rng.randrange(len(_STORIES))] + _SUFFIXES[rng.randrange(len(_SUFFIXES))]
        resident = int(residents * rng.random() ** 2)
        pseudonym = _b64(hashlib.sha256(f"resident:{resident}".encode()).digest())
        anonymous = rng.random() < 0.78
        latitude = longitude = None
        place_text = None
        if place_kind == "location":
            latitude, longitude = 10.0 + rng.random(), 104.8 + rng.random()
        elif place_kind == "address":
            place_text = f"Hẻm {rng.randrange(1, 99)} đường {rng.choice(_PLACE_WORDS)}"
        occurred = rng.choice(("now", "today", "today", "date", "unknown"))
        occurred_on = None if occurred == "unknown" else received.astimezone(ZONE).date()
        if occurred == "date" and occurred_on is not None:
            occurred_on -= timedelta(days=rng.randrange(1, 30))
        received_text = _stamp(received)
        action_text = None if first_action is None else _stamp(first_action)
        updated = action_text or received_text
        # Triage (m0007): who took it, how a closed one ended, whether it proved of value.
        of_value = status == "verified" or (status == "closed" and rng.random() < 0.25)
        outcome = None
        if status == "closed":
            outcome = rng.choice(("handled", "handled", "mediated", "case_opened", "no_action"))
        tips.append(
            (
                tip_id,
                codes[index],
                _b64(hashlib.blake2b(f"sub:{tip_id}".encode(), digest_size=12).digest()),
                category,
                legal[category],
                "category",
                story,
                place_kind,
                place_text,
                latitude,
                longitude,
                unit_id,
                occurred,
                None if occurred_on is None else occurred_on.isoformat(),
                1 if anonymous else 0,
                pseudonym,
                _b64(os.urandom(38)),
                None if anonymous else _b64(os.urandom(44)),
                "vi" if rng.random() < 0.97 else "en",
                status,
                received_text,
                (received.astimezone(ZONE).date() + timedelta(days=20)).isoformat(),
                action_text,
                updated,
                None if first_action is None else 7100003 + rng.randrange(40),
                outcome,
                action_text,
                1 if of_value else 0,
            )
        )
        events.append((tip_id, received_text, "resident", None, "received", None, "received"))
        if first_action is not None:
            events.append(
                (tip_id, action_text, "officer", "officer:7100003", "status", "received", status)
            )
        if rng.random() < 0.3:
            for position in range(1, rng.choice((1, 1, 2, 3)) + 1):
                evidence_id += 1
                evidence.append(
                    (
                        evidence_id,
                        tip_id,
                        position,
                        "evidence",
                        "photo",
                        f"AgACAgUAAxkBAAI{evidence_id:012d}",
                        f"AQAD{evidence_id:010d}",
                        "image/jpeg",
                        rng.randrange(40_000, 900_000),
                        None,
                    )
                )
        outbox.append(
            (
                tip_id,
                "tip_card",
                None,
                json.dumps({"tip_id": tip_id}),
                1,
                received_text,
                received_text,
                received_text,
            )
        )
        cards.append((tip_id, -1001234567890, 1000 + tip_id, received_text))
        if len(tips) >= _CHUNK:
            _write_tips(conn, tips, events, evidence, outbox, cards)
            for batch in (tips, events, evidence, outbox, cards):
                batch.clear()
    _write_tips(conn, tips, events, evidence, outbox, cards)


def _write_tips(
    conn: sqlite3.Connection,
    tips: list[tuple[Any, ...]],
    events: list[tuple[Any, ...]],
    evidence: list[tuple[Any, ...]],
    outbox: list[tuple[Any, ...]],
    cards: list[tuple[Any, ...]],
) -> None:
    conn.execute("BEGIN")
    conn.executemany(
        """
        INSERT INTO tips (id, code, submission_key, category, legal_type, legal_type_source,
            story, place_kind, place_text, latitude, longitude, unit_id, occurred, occurred_on,
            anonymous, reporter_pseudonym, reporter_chat_sealed, contact_sealed, language,
            status, received_at, decision_deadline, first_action_at, updated_at, assignee_id,
            outcome, status_at, of_value)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        tips,
    )
    conn.executemany(
        "INSERT INTO tip_events (tip_id, at, actor_kind, actor_ref, event, from_status, "
        "to_status) VALUES (?, ?, ?, ?, ?, ?, ?)",
        events,
    )
    conn.executemany(
        "INSERT INTO tip_evidence (id, tip_id, position, role, kind, file_id, file_unique_id, "
        "mime, size, caption) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        evidence,
    )
    conn.executemany(
        "INSERT INTO outbox (id, kind, target_chat_id, payload, attempts, next_attempt_at, "
        "delivered_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        outbox,
    )
    conn.executemany(
        "INSERT INTO tip_cards (tip_id, chat_id, message_id, sent_at) VALUES (?, ?, ?, ?)",
        cards,
    )
    conn.execute("COMMIT")


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class _Plan:
    """Who files an indicator, and how often."""

    key: str
    kind: str
    level: str  # commune, district or province
    cadence: str  # month, quarter or year
    scale: float


def _plans(conn: sqlite3.Connection) -> list[_Plan]:
    """Decide, per indicator, which level files it: communes file nearly all, monthly.

    Case work (cases solved, gangs dismantled, assets recovered) is the district police's, so
    districts file those and their communes never do: a unit and a unit below it never report
    the same indicator, as in a province whose communes file and whose districts consolidate.
    """
    district_only = {"cases_solved_from_tips", "gangs_dismantled", "assets_recovered"}
    plans: list[_Plan] = []
    for key, kind, measure in conn.execute(
        "SELECT key, kind, measure FROM indicators ORDER BY sort_order"
    ):
        scale = {"vnd": 25_000_000.0, "people": 6.0, "sessions": 3.0}.get(measure, 2.0)
        if key == "outreach_attendees":
            scale = 180.0
        if key.startswith("safe_"):
            scale = 0.8
        if key in district_only:
            plans.append(_Plan(key, kind, "district", "month", scale * 4))
        elif kind == "stock":
            plans.append(_Plan(key, kind, "commune", "month", scale * 3))
        else:
            plans.append(_Plan(key, kind, "commune", "month", scale))
    return plans


def _periods(size: DataSize, cadence: str) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for year in range(size.first_year, size.last_year + 1):
        if cadence == "year":
            result.append((year * 10000 + 101, year * 10000 + 1231))
            continue
        step = 3 if cadence == "quarter" else 1
        for month in range(1, 13, step):
            last_month = month + step - 1
            end = _month_start(*_next_month(year, last_month)).date() - timedelta(days=1)
            result.append(
                (year * 10000 + month * 100 + 1, year * 10000 + last_month * 100 + end.day)
            )
    return result


def _candidates(
    size: DataSize,
    plans: list[_Plan],
    units: dict[str, tuple[int, Any, str]],
    commune_weights: dict[str, float],
) -> Iterator[tuple[_Plan, str, int, int, float]]:
    """Yield every (indicator, unit, period) that could be filed, with its unit's busyness."""
    heaviest = max(commune_weights.values())
    for plan in plans:
        codes = [code for code, (_id, _p, level) in units.items() if level == plan.level]
        for code in sorted(codes):
            if plan.level == "commune":
                # Quiet communes skip a month now and then; busy ones file every month.
                busy = 0.8 + 0.2 * (commune_weights[code] / heaviest) ** 0.5
            else:
                busy = 1.0
            for start, end in _periods(size, plan.cadence):
                yield plan, code, start, end, busy


def _fill_figures(
    conn: sqlite3.Connection,
    size: DataSize,
    units: dict[str, tuple[int, Any, str]],
    commune_weights: dict[str, float],
    rng: random.Random,
) -> None:
    plans = _plans(conn)
    indicator_ids = {
        str(row[0]): int(row[1]) for row in conn.execute("SELECT key, id FROM indicators")
    }
    total = sum(busy for *_rest, busy in _candidates(size, plans, units, commune_weights))
    # Each candidate is filed with a probability proportional to its unit's busyness.
    keep = size.figures / max(1.0, total)
    rows: list[tuple[Any, ...]] = []
    record_id = 0
    written = 0
    stock_levels: dict[tuple[str, str], float] = {}
    for plan, code, start, end, busy in _candidates(size, plans, units, commune_weights):
        if written >= size.figures:
            break
        if rng.random() > keep * busy:
            continue
        if plan.kind == "stock":
            level = stock_levels.get((plan.key, code), plan.scale * busy * rng.uniform(0.5, 1.5))
            level = max(0.0, level + rng.gauss(0, plan.scale * 0.05))
            stock_levels[(plan.key, code)] = level
            value: int = round(level)
        else:
            month = start // 100 % 100
            value = max(0, round(rng.expovariate(1.0 / (plan.scale * busy * SEASON[month - 1]))))
        if plan.key.endswith("_progressed"):
            value = value // 3
        recorded = datetime(end // 10000, end // 100 % 100, end % 100, 10, tzinfo=ZONE) + (
            timedelta(days=rng.randrange(1, 20))
        )
        by = "tg:7100003" if rng.random() < 0.6 else "cli:thongke"
        source = (
            "bot" if by.startswith("tg:") else f"import:bao-cao-{end // 10000}.xlsx#9f2c41d0aa11"
        )
        unit_id = units[code][0]
        indicator_id = indicator_ids[plan.key]
        if rng.random() < 0.01 and written + 1 < size.figures:
            # A correction: the first record is superseded by the second, with a reason.
            record_id += 1
            corrected_at = recorded + timedelta(days=rng.randrange(5, 90))
            rows.append(
                (
                    record_id,
                    indicator_id,
                    unit_id,
                    start,
                    end,
                    value + rng.randrange(1, 9),
                    by,
                    _stamp(recorded),
                    source,
                    None,
                    None,
                    _stamp(corrected_at),
                )
            )
            rows.append(
                (
                    record_id + 1,
                    indicator_id,
                    unit_id,
                    start,
                    end,
                    value,
                    by,
                    _stamp(corrected_at),
                    source,
                    record_id,
                    "Số liệu báo cáo lại sau rà soát",
                    None,
                )
            )
            record_id += 1
            written += 2
        else:
            record_id += 1
            rows.append(
                (
                    record_id,
                    indicator_id,
                    unit_id,
                    start,
                    end,
                    value,
                    by,
                    _stamp(recorded),
                    source,
                    None,
                    None,
                    None,
                )
            )
            written += 1
        if len(rows) >= _CHUNK:
            _write_figures(conn, rows)
            rows.clear()
    _write_figures(conn, rows)


def _write_figures(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.execute("BEGIN")
    conn.executemany(
        """
        INSERT INTO figures (id, indicator_id, unit_id, start_day, end_day, value, recorded_by,
            recorded_at, source, supersedes_id, reason, superseded_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        rows,
    )
    conn.execute("COMMIT")


def first_day(size: DataSize) -> date:
    """Return the first local day of the data."""
    return date(size.first_year, 1, 1)
