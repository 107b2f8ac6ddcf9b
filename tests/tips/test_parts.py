"""The small parts of the tip flow: codes, dates, the flood guard, metadata stripping."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from bot.outbox.deliverer import MAX_RETRY, retry_delay
from bot.tips.codes import ALPHABET, new_code, normalize_code
from bot.tips.dates import DateProblem, parse_past_date
from bot.tips.exif import strip_metadata
from bot.tips.flood import FloodGuard, Verdict

TODAY = date(2025, 3, 12)


def test_codes_are_short_random_and_unambiguous() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == len("TB-7K3M-Q9XD")
        assert code.startswith("TB-")
        body = code[3:].replace("-", "")
        assert set(body) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("TB-7K3M-Q9XD", "TB-7K3M-Q9XD"),
        ("tb7k3mq9xd", "TB-7K3M-Q9XD"),
        (" tb - 7k3m q9xd ", "TB-7K3M-Q9XD"),
        ("TB-7K3M-Q9X", None),
        ("TB-0K3M-Q9XD", None),  # 0 is never used
        ("XX-7K3M-Q9XD", None),
        ("", None),
    ],
)
def test_codes_are_read_forgivingly(typed: str, expected: str | None) -> None:
    assert normalize_code(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("25/12/2024", date(2024, 12, 25)),
        ("5/1/2025", date(2025, 1, 5)),
        ("05-01-25", date(2025, 1, 5)),
        ("05.01.2025", date(2025, 1, 5)),
        ("2025-01-05", date(2025, 1, 5)),
        ("12/03/2025", TODAY),
        ("1/3", date(2025, 3, 1)),
        ("25/12", date(2024, 12, 25)),  # typed in March: last December
        ("31/02/2025", DateProblem.MALFORMED),
        ("hôm qua", DateProblem.MALFORMED),
        ("13/13/2024", DateProblem.MALFORMED),
        ("13/03/2025", DateProblem.FUTURE),
        ("01/01/2030", DateProblem.FUTURE),
        ("01/01/1900", DateProblem.TOO_OLD),
    ],
)
def test_dates_are_read_day_first(typed: str, expected: object) -> None:
    assert parse_past_date(typed, TODAY) == expected


def test_flood_guard_lets_a_burst_through_then_warns_once_then_drops() -> None:
    now = [0.0]
    guard = FloodGuard(capacity=5, refill_per_second=1, clock=lambda: now[0])
    assert [guard.check(1) for _ in range(5)] == [Verdict.PASS] * 5
    assert guard.check(1) is Verdict.WARN
    assert guard.check(1) is Verdict.DROP
    assert guard.check(2) is Verdict.PASS  # someone else is not affected
    now[0] += 2
    assert guard.check(1) is Verdict.PASS


def test_a_flood_at_the_refill_rate_gets_one_notice_per_refill_time() -> None:
    now = [0.0]
    guard = FloodGuard(capacity=5, refill_per_second=1, clock=lambda: now[0])
    assert [guard.check(1) for _ in range(6)] == [Verdict.PASS] * 5 + [Verdict.WARN]
    verdicts = []
    for _ in range(11):
        now[0] += 0.5
        verdicts.append(guard.check(1))
    # Two a second: every other one passes on a refilled token, and the next notice waits until
    # the bucket could have refilled (5 s), or the notices would be a flood of their own.
    assert verdicts == [Verdict.DROP, Verdict.PASS] * 5 + [Verdict.WARN]


def test_retry_delay_doubles_up_to_the_cap() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert retry_delay(50) == MAX_RETRY


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x013B] = "Nguyen Van Chup"  # Artist
    exif[0x8825] = {1: "N", 2: (10.0, 1.0, 2.0), 3: "E", 4: (105.0, 4.0, 5.0)}  # GPSInfo
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def test_metadata_is_stripped_from_images() -> None:
    original = _jpeg_with_gps()
    assert b"Nguyen Van Chup" in original
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)
    cleaned = strip_metadata(original)
    assert cleaned is not None
    content, extension = cleaned
    assert extension == "jpg"
    assert b"Nguyen Van Chup" not in content
    assert b"SecretCam" not in content
    with Image.open(io.BytesIO(content)) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (64, 48)


def test_non_images_are_not_cleaned() -> None:
    assert strip_metadata(b"%PDF-1.4 not an image") is None
