"""Campaign figures: the indicator catalog, immutable figure records and their corrections.

Design notes (the benchmark issue asks /figures for p95 <= 50 ms at 500,000 records):
- A period is two integers YYYYMMDD (first and last day): compact, ordered, readable.
- `figures_current` is a partial covering index over the current records only, ordered so one
  seek per (indicator, unit) reaches the records of a period and the latest stock value.
- `figure_year_totals` keeps, per (indicator, unit, calendar year), the sum of the current
  records lying inside that year (triggers maintain it). A query reads those sums for the whole
  years of its period, the index for the partial years at its edges, and `figures_multi_year`
  for the few records spanning several years.
- `figure_series` keeps one row per (indicator, unit) that has records, with a flag set by a
  trigger when two current records of the series overlap in time. Queries sum unflagged series
  in SQL and fetch single records only for flagged series or unit/descendant overlaps.
- Records are never changed or deleted (triggers refuse it); a correction inserts a new record
  that names the one it supersedes and why, and stamps the old one's `superseded_at`.
"""

from __future__ import annotations

from typing import Final

_CREATED = "2026-01-01T00:00:00+00:00"

# key, kind, measure, part of (cohort base), main, order, name_vi, name_en, phrase_vi, phrase_en
# The phrases read like the seed article's sentences; {value} is replaced by the number.
_CATALOG: Final[tuple[tuple[str, str, str, str | None, int, int, str, str, str, str], ...]] = (
    (
        "disputes_mediated", "flow", "cases", None, 1, 10,
        "Vụ việc, tranh chấp hòa giải thành công",
        "Disputes mediated successfully",
        "phối hợp hòa giải thành công {value} vụ việc, tranh chấp trong nội bộ nhân dân",
        "{value} disputes within the community mediated successfully",
    ),
    (
        "tips_supplied", "flow", "tips", None, 0, 20,
        "Tin báo, tố giác do nhân dân cung cấp",
        "Tips supplied by residents",
        "nhân dân cung cấp {value} tin báo, tố giác",
        "residents supplied {value} tips",
    ),
    (
        "tips_reliable", "flow", "tips", None, 1, 21,
        "Nguồn tin tin cậy, có giá trị",
        "Reliable tips of value",
        "quần chúng nhân dân cung cấp {value} nguồn tin tin cậy",
        "residents supplied {value} reliable tips",
    ),
    (
        "cases_solved_from_tips", "flow", "cases", None, 0, 22,
        "Vụ án được làm rõ nhờ tin báo",
        "Cases solved thanks to tips",
        "làm rõ {value} vụ án nhờ tin báo của nhân dân",
        "{value} cases solved thanks to tips",
    ),
    (
        "models_effective", "stock", "models", None, 1, 30,
        "Mô hình được công nhận có hiệu quả",
        "Models recognised as effective",
        "duy trì {value} mô hình được công nhận có hiệu quả",
        "{value} models recognised as effective are maintained",
    ),
    (
        "models_self_management", "stock", "models", None, 0, 31,
        "Mô hình tự quản, điển hình tiên tiến",
        "Self-management and exemplary models",
        "duy trì {value} mô hình tự quản, điển hình tiên tiến",
        "{value} self-management and exemplary models",
    ),
    (
        "drug_users_managed", "stock", "people", None, 1, 40,
        "Người nghiện ma túy được quản lý tại cộng đồng",
        "Drug users managed in the community",
        "quần chúng tham gia quản lý {value} đối tượng nghiện ma túy",
        "residents helped manage {value} drug users in the community",
    ),
    (
        "drug_users_progressed", "stock", "people", "drug_users_managed", 1, 41,
        "Người nghiện ma túy tiến bộ",
        "Drug users who progressed",
        "có {value} người tiến bộ",
        "of whom {value} progressed",
    ),
    (
        "offenders_managed", "stock", "people", None, 0, 42,
        "Người lầm lỗi được quản lý, giáo dục tại cộng đồng",
        "Offenders managed in the community",
        "quản lý, giáo dục {value} người lầm lỗi tại cộng đồng",
        "{value} offenders managed in the community",
    ),
    (
        "offenders_progressed", "stock", "people", "offenders_managed", 0, 43,
        "Người lầm lỗi tiến bộ",
        "Offenders who progressed",
        "có {value} người tiến bộ",
        "of whom {value} progressed",
    ),
    (
        "offenders_surrendered", "flow", "people", None, 1, 50,
        "Đối tượng ra tự báo, tự thú",
        "Offenders persuaded to surrender",
        "vận động được {value} đối tượng ra tự báo, tự thú",
        "{value} offenders were persuaded to surrender",
    ),
    (
        "fugitives_caught", "flow", "people", None, 0, 51,
        "Đối tượng truy nã bị bắt, đầu thú",
        "Fugitives caught or surrendered",
        "bắt, vận động đầu thú {value} đối tượng truy nã",
        "{value} fugitives caught or surrendered",
    ),
    (
        "persons_arrested", "flow", "people", None, 0, 52,
        "Đối tượng bị bắt giữ",
        "Persons arrested",
        "bắt giữ {value} đối tượng",
        "{value} persons arrested",
    ),
    (
        "gangs_dismantled", "flow", "gangs", None, 0, 53,
        "Băng, nhóm tội phạm bị triệt phá",
        "Criminal gangs dismantled",
        "triệt phá {value} băng, nhóm tội phạm",
        "{value} criminal gangs dismantled",
    ),
    (
        "weapons_handed_in", "flow", "items", None, 1, 60,
        "Vũ khí, vật liệu nổ, công cụ hỗ trợ được giao nộp",
        "Weapons, explosives and support tools handed in",
        "vận động giao nộp {value} vũ khí, vật liệu nổ, công cụ hỗ trợ",
        "{value} weapons, explosives and support tools handed in",
    ),
    (
        "released_prisoners_returned", "flow", "people", None, 0, 70,
        "Người chấp hành xong án phạt tù trở về địa phương",
        "Released prisoners returning home",
        "tiếp nhận {value} người chấp hành xong án phạt tù trở về địa phương",
        "{value} released prisoners returned home",
    ),
    (
        "released_prisoners_reintegrated", "flow", "people", "released_prisoners_returned", 0, 71,
        "Người chấp hành xong án phạt tù tái hòa nhập cộng đồng",
        "Released prisoners reintegrated",
        "có {value} người tái hòa nhập cộng đồng",
        "of whom {value} reintegrated",
    ),
    (
        "jobs_found", "flow", "people", None, 0, 72,
        "Người được giới thiệu việc làm",
        "People helped into jobs",
        "giới thiệu việc làm cho {value} người",
        "{value} people helped into jobs",
    ),
    (
        "loans_given", "flow", "vnd", None, 0, 73,
        "Vốn vay hỗ trợ",
        "Loans given",
        "hỗ trợ vay vốn {value} đồng",
        "{value} VND in loans given",
    ),
    (
        "assets_recovered", "flow", "vnd", None, 0, 74,
        "Tài sản thu hồi",
        "Assets recovered",
        "thu hồi tài sản trị giá {value} đồng",
        "{value} VND of assets recovered",
    ),
    (
        "hotspots_transformed", "flow", "places", None, 0, 80,
        "Địa bàn trọng điểm, phức tạp được chuyển hóa",
        "Hotspots transformed",
        "chuyển hóa {value} địa bàn trọng điểm, phức tạp",
        "{value} hotspots transformed",
    ),
    (
        "outreach_sessions", "flow", "sessions", None, 0, 81,
        "Buổi tuyên truyền",
        "Outreach sessions",
        "tổ chức {value} buổi tuyên truyền",
        "{value} outreach sessions held",
    ),
    (
        "outreach_attendees", "flow", "people", None, 0, 82,
        "Lượt người dự tuyên truyền",
        "Outreach attendees",
        "thu hút {value} lượt người tham dự tuyên truyền",
        "{value} attendances at outreach sessions",
    ),
    (
        "awards", "flow", "awards", None, 1, 90,
        "Bằng khen, giấy khen",
        "Certificates of merit",
        "tặng {value} bằng khen, giấy khen cho các tập thể, cá nhân",
        "{value} certificates of merit awarded to collectives and individuals",
    ),
    (
        "awards_certificates", "flow", "awards", None, 0, 91,
        "Bằng khen",
        "Certificates of merit (bằng khen)",
        "tặng {value} bằng khen",
        "{value} certificates of merit (bằng khen) awarded",
    ),
    (
        "awards_commendations", "flow", "awards", None, 0, 92,
        "Giấy khen",
        "Commendations (giấy khen)",
        "tặng {value} giấy khen",
        "{value} commendations (giấy khen) awarded",
    ),
    (
        "security_teams", "stock", "teams", None, 0, 100,
        "Tổ, đội bảo vệ an ninh, trật tự ở cơ sở",
        "People's security teams",
        "duy trì {value} tổ, đội bảo vệ an ninh, trật tự ở cơ sở",
        "{value} people's security teams",
    ),
    (
        "security_team_members", "stock", "people", None, 0, 101,
        "Thành viên tổ, đội bảo vệ an ninh, trật tự",
        "Members of people's security teams",
        "với {value} thành viên tổ, đội bảo vệ an ninh, trật tự",
        "{value} members of people's security teams",
    ),
    (
        "mediation_teams", "stock", "teams", None, 0, 102,
        "Tổ hòa giải",
        "Mediation teams",
        "duy trì {value} tổ hòa giải",
        "{value} mediation teams",
    ),
    (
        "mediation_team_members", "stock", "people", None, 0, 103,
        "Hòa giải viên",
        "Mediation team members",
        "với {value} hòa giải viên",
        "{value} mediation team members",
    ),
    (
        "self_management_teams", "stock", "teams", None, 0, 104,
        "Tổ tự quản",
        "Self-management teams",
        "duy trì {value} tổ tự quản",
        "{value} self-management teams",
    ),
    (
        "safe_residential_areas", "stock", "places", None, 0, 110,
        "Khu dân cư đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "Residential areas certified safe for security and order",
        "{value} khu dân cư đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "{value} residential areas certified safe for security and order",
    ),
    (
        "safe_communes", "stock", "places", None, 0, 111,
        "Xã, phường, thị trấn đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "Communes certified safe for security and order",
        "{value} xã, phường, thị trấn đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "{value} communes certified safe for security and order",
    ),
    (
        "safe_agencies", "stock", "places", None, 0, 112,
        "Cơ quan đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "Agencies certified safe for security and order",
        "{value} cơ quan đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "{value} agencies certified safe for security and order",
    ),
    (
        "safe_enterprises", "stock", "places", None, 0, 113,
        "Doanh nghiệp đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "Enterprises certified safe for security and order",
        "{value} doanh nghiệp đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "{value} enterprises certified safe for security and order",
    ),
    (
        "safe_schools", "stock", "places", None, 0, 114,
        "Nhà trường đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "Schools certified safe for security and order",
        "{value} nhà trường đạt chuẩn \"An toàn về an ninh, trật tự\"",
        "{value} schools certified safe for security and order",
    ),
)  # fmt: skip


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _seed_statement(row: tuple[str, str, str, str | None, int, int, str, str, str, str]) -> str:
    key, kind, measure, part_of, main, order, name_vi, name_en, phrase_vi, phrase_en = row
    base = (
        "NULL" if part_of is None else f"(SELECT id FROM indicators WHERE key = {_quote(part_of)})"
    )
    integer_only = 0 if measure == "vnd_million" else 1
    values = ", ".join(
        [
            _quote(key),
            _quote(name_vi),
            _quote(name_en),
            _quote(measure),
            _quote(kind),
            base,
            str(integer_only),
            str(main),
            str(order),
            _quote(phrase_vi),
            _quote(phrase_en),
            _quote(_CREATED),
        ]
    )
    return (
        "INSERT INTO indicators (key, name_vi, name_en, measure, kind, part_of, integer_only, "
        f"main, sort_order, phrase_vi, phrase_en, created_at) VALUES ({values})"
    )


_SCHEMA = (
    """
    CREATE TABLE indicators (
        id           INTEGER PRIMARY KEY,
        -- The stable name in commands, files and the API: snake_case, never reused.
        key          TEXT NOT NULL UNIQUE
                     CHECK (length(key) BETWEEN 2 AND 48 AND key GLOB '[a-z]*'
                            AND key NOT GLOB '*[^a-z0-9_]*'),
        name_vi      TEXT NOT NULL,
        name_en      TEXT NOT NULL,
        -- A code of bot.figures.model.MEASURES (cases, people, models, vnd, ...).
        measure      TEXT NOT NULL,
        -- flow: summed over a period; stock: the latest value at or before the period's end.
        kind         TEXT NOT NULL CHECK (kind IN ('flow', 'stock')),
        -- Set on the part of a cohort (drug users progressed -> drug users managed).
        part_of      INTEGER REFERENCES indicators (id),
        integer_only INTEGER NOT NULL DEFAULT 1 CHECK (integer_only IN (0, 1)),
        -- Shown in the report pack's summary and chart.
        main         INTEGER NOT NULL DEFAULT 0 CHECK (main IN (0, 1)),
        sort_order   INTEGER NOT NULL DEFAULT 1000,
        -- Summary phrases in the style of the provincial reviews; {value} is the number.
        phrase_vi    TEXT,
        phrase_en    TEXT,
        active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at   TEXT NOT NULL,
        CHECK (part_of IS NULL OR part_of <> id)
    )
    """,
    """
    CREATE TABLE figures (
        id            INTEGER PRIMARY KEY,
        indicator_id  INTEGER NOT NULL REFERENCES indicators (id),
        unit_id       INTEGER NOT NULL REFERENCES units (id),
        -- The period as YYYYMMDD of its first and last day (both included).
        start_day     INTEGER NOT NULL CHECK (start_day BETWEEN 19000101 AND 21001231),
        end_day       INTEGER NOT NULL CHECK (end_day BETWEEN 19000101 AND 21001231),
        -- NUMERIC keeps counts as integers (compact, exact) and lets a few measures hold decimals.
        value         NUMERIC NOT NULL CHECK (typeof(value) IN ('integer', 'real') AND value >= 0),
        -- Who: 'tg:<telegram user id>' for an officer in the bot, 'cli:<login>' for the CLI.
        recorded_by   TEXT NOT NULL,
        recorded_at   TEXT NOT NULL,
        -- Where from: 'bot', 'import:<file name>#<sha256 prefix>', ...
        source        TEXT NOT NULL,
        -- A correction names the record it replaces and why.
        supersedes_id INTEGER REFERENCES figures (id),
        reason        TEXT,
        -- NULL while the record is current; the time a correction replaced it otherwise.
        superseded_at TEXT,
        CHECK (start_day <= end_day),
        CHECK (supersedes_id IS NULL OR reason IS NOT NULL)
    )
    """,
    # The aggregate's covering index: current records only, one seek per (indicator, unit),
    # ordered by end_day so the latest stock value at a date is one step away.
    """
    CREATE INDEX figures_current
        ON figures (indicator_id, unit_id, end_day, start_day, value)
        WHERE superseded_at IS NULL
    """,
    # At most one current record per indicator, unit and period.
    """
    CREATE UNIQUE INDEX figures_one_current
        ON figures (indicator_id, unit_id, start_day, end_day)
        WHERE superseded_at IS NULL
    """,
    "CREATE INDEX figures_by_supersedes ON figures (supersedes_id) WHERE supersedes_id IS NOT NULL",
    # Multi-year records (a decade total) are few; this index finds them without scanning
    # the yearly and monthly ones. Queries repeat its WHERE terms literally so SQLite uses it.
    """
    CREATE INDEX figures_multi_year
        ON figures (indicator_id, unit_id, end_day, start_day, value)
        WHERE superseded_at IS NULL AND start_day / 10000 <> end_day / 10000
    """,
    # Sums of the current records lying inside one calendar year, kept by triggers: a query
    # over whole years reads one row per (indicator, unit, year) instead of every record.
    """
    CREATE TABLE figure_year_totals (
        indicator_id INTEGER NOT NULL REFERENCES indicators (id),
        unit_id      INTEGER NOT NULL REFERENCES units (id),
        year         INTEGER NOT NULL,
        total        NUMERIC NOT NULL,
        records      INTEGER NOT NULL,
        PRIMARY KEY (indicator_id, unit_id, year)
    ) WITHOUT ROWID
    """,
    """
    CREATE TRIGGER figures_year_totals_on_insert AFTER INSERT ON figures
    WHEN NEW.superseded_at IS NULL AND NEW.start_day / 10000 = NEW.end_day / 10000
    BEGIN
        INSERT INTO figure_year_totals (indicator_id, unit_id, year, total, records)
        VALUES (NEW.indicator_id, NEW.unit_id, NEW.end_day / 10000, NEW.value, 1)
        ON CONFLICT (indicator_id, unit_id, year)
        DO UPDATE SET total = total + excluded.total, records = records + 1;
    END
    """,
    """
    CREATE TRIGGER figures_year_totals_on_supersede AFTER UPDATE OF superseded_at ON figures
    WHEN OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL
     AND OLD.start_day / 10000 = OLD.end_day / 10000
    BEGIN
        UPDATE figure_year_totals
        SET total = total - OLD.value, records = records - 1
        WHERE indicator_id = OLD.indicator_id AND unit_id = OLD.unit_id
          AND year = OLD.end_day / 10000;
    END
    """,
    """
    CREATE TABLE figure_series (
        indicator_id INTEGER NOT NULL REFERENCES indicators (id),
        unit_id      INTEGER NOT NULL REFERENCES units (id),
        -- 1 once two current records of the series overlapped in time (never reset: it only
        -- sends queries of this series down the exact, slower path).
        overlapping  INTEGER NOT NULL DEFAULT 0 CHECK (overlapping IN (0, 1)),
        -- The largest end_day - start_day of the series' records (YYYYMMDD arithmetic): a
        -- record starting by day D ends by D + max_span, which bounds the scans at a period's
        -- end. Only grows, like `overlapping`.
        max_span     INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (indicator_id, unit_id)
    ) WITHOUT ROWID
    """,
    """
    CREATE TRIGGER figures_series_on_insert AFTER INSERT ON figures
    WHEN NEW.superseded_at IS NULL
    BEGIN
        INSERT OR IGNORE INTO figure_series (indicator_id, unit_id)
        VALUES (NEW.indicator_id, NEW.unit_id);
        UPDATE figure_series SET max_span = NEW.end_day - NEW.start_day
        WHERE indicator_id = NEW.indicator_id AND unit_id = NEW.unit_id
          AND max_span < NEW.end_day - NEW.start_day;
        UPDATE figure_series SET overlapping = 1
        WHERE indicator_id = NEW.indicator_id AND unit_id = NEW.unit_id AND overlapping = 0
          AND EXISTS (
              SELECT 1 FROM figures AS other
              WHERE other.indicator_id = NEW.indicator_id AND other.unit_id = NEW.unit_id
                AND other.superseded_at IS NULL AND other.id <> NEW.id
                AND other.end_day >= NEW.start_day AND other.start_day <= NEW.end_day
          );
    END
    """,
    """
    CREATE TRIGGER figures_are_immutable
    BEFORE UPDATE OF indicator_id, unit_id, start_day, end_day, value, recorded_by, recorded_at,
                     source, supersedes_id, reason, id ON figures
    BEGIN
        SELECT RAISE(ABORT, 'figure records are immutable: record a correction instead');
    END
    """,
    """
    CREATE TRIGGER figures_supersede_once
    BEFORE UPDATE OF superseded_at ON figures
    WHEN OLD.superseded_at IS NOT NULL OR NEW.superseded_at IS NULL
    BEGIN
        SELECT RAISE(ABORT, 'a figure record is superseded once and for good');
    END
    """,
    """
    CREATE TRIGGER figures_are_kept
    BEFORE DELETE ON figures
    BEGIN
        SELECT RAISE(ABORT, 'figure records are never deleted');
    END
    """,
)

STATEMENTS: tuple[str, ...] = _SCHEMA + tuple(_seed_statement(row) for row in _CATALOG)
