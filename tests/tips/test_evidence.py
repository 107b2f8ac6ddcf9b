"""EVIDENCE_DOWNLOAD: files are cleaned by what their bytes are, and withheld when they cannot be.

Each file goes through the real application: a resident sends it, the outbox posts the card,
and the bytes the officers' chat received are read back from the in-memory Bot API.
"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any

import pillow_heif
import pytest
from PIL import Image, PngImagePlugin
from telegram import Update

from bot.kernel.i18n import translator
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.exif import strip_metadata
from bot.tips.media import ffmpeg_exe
from tests.tips.flow import OFFICERS, deliver, receipt_code, tips_settings

OWNER = "Nguoi Chup Anh"
GPS_IFD = 0x8825
ARTIST = 0x013B


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ARTIST] = OWNER
    exif[GPS_IFD] = {1: "N", 2: (9.0, 58.0, 1.0), 3: "E", 4: (105.0, 7.0, 3.0)}
    return exif


def jpeg_with_gps() -> bytes:
    """Return a JPEG carrying a GPS position and its owner's name, as a phone writes them."""
    output = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(output, format="JPEG", exif=_exif())
    return output.getvalue()


def heic_with_gps() -> bytes:
    """Return a HEIC (an iPhone's photo) with a GPS position and its owner's name."""
    # pillow-heif's own API, not the Pillow plugin: the test must not register the opener the
    # bot relies on, or a bot that forgot to register it would still pass.
    heif = pillow_heif.from_pillow(Image.new("RGB", (64, 48), (200, 30, 30)))
    output = io.BytesIO()
    heif.save(output, exif=_exif().tobytes())
    return output.getvalue()


def png_with_owner() -> bytes:
    """Return a PNG whose text chunks and eXIf name its owner."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", OWNER)
    info.add_text("Comment", f"chup boi {OWNER}")
    info.add_itxt("Description", f"{OWNER} o nha")
    output = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(
        output, format="PNG", pnginfo=info, exif=_exif()
    )
    return output.getvalue()


def _ffmpeg(*args: str) -> bytes:
    exe = ffmpeg_exe()
    assert exe is not None, "imageio-ffmpeg ships its ffmpeg binary"
    out = Path(args[-1])
    subprocess.run([exe, "-v", "error", "-y", *args], check=True, timeout=60)
    data = out.read_bytes()
    os.unlink(out)
    return data


def mp4_with_location(tmp_path: Path) -> bytes:
    """Return a tiny real MP4 whose tags name the place, the owner and the device."""
    return _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "1",
        "-c:v", "mpeg4",
        "-metadata", f"artist={OWNER}",
        "-metadata", "location=+09.9753+105.1175/",
        "-metadata", "comment=SecretPhone 15",
        str(tmp_path / "clip.mp4"),
    )  # fmt: skip


def ogg_voice_with_owner(tmp_path: Path) -> bytes:
    """Return a tiny real Ogg voice note whose tags name its owner."""
    return _ffmpeg(
        "-f", "lavfi", "-i", "sine=d=1", "-c:a", "libopus",
        "-metadata", f"artist={OWNER}",
        str(tmp_path / "voice.ogg"),
    )  # fmt: skip


async def send_tip_with(bot: BotHarness, resident: Person, *files: Update) -> str:
    """Walk a tip with `files` as its evidence to the receipt; return its code."""
    await bot.say(resident, "/tip")
    await bot.press(resident, "💊 Ma túy")
    await bot.say(resident, "Ảnh chụp người giao hàng cấm trước cổng trường.")
    await bot.press(resident, "✅ Xong")
    await bot.say(resident, "🤷 Không nhớ rõ")
    await bot.press(resident, "📅 Hôm nay")
    for update in files:
        await bot.send(update)
    await bot.press(resident, "✅ Xong")
    await bot.press(resident, "🕶 Gửi ẩn danh (khuyên dùng)")
    await bot.press(resident, "📨 Gửi")
    code = receipt_code(bot, resident)
    await deliver(bot)
    return code


def posted(bot: BotHarness, kind: str) -> list[bytes]:
    """Return the bytes of every `kind` (document, video, voice...) sent to the officers."""
    return [
        bot.api.file_content(message.raw[kind]["file_id"])
        for message in bot.api.sent_messages(OFFICERS)
        if kind in message.raw
    ]


def assert_no_gps_or_owner(data: bytes) -> None:
    """Fail if the image bytes carry EXIF, a GPS position, text chunks or the owner's name."""
    assert OWNER.encode() not in data
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert dict(exif) == {}
        assert exif.get_ifd(GPS_IFD) == {}
        assert not getattr(image, "text", {})
        assert "icc_profile" not in image.info
        assert "xmp" not in image.info


@pytest.fixture
def evidence_settings(database_path: Path) -> Any:
    return tips_settings(database_path, evidence_download=True)


@pytest.mark.parametrize("mime_type", ["application/octet-stream", None], ids=["octet", "none"])
async def test_a_gps_jpeg_sent_as_an_unlabelled_file_reaches_the_officers_clean(
    evidence_settings: Any, resident: Person, mime_type: str | None
) -> None:
    original = jpeg_with_gps()
    async with BotHarness(evidence_settings) as bot:
        document = bot.updates.document(
            resident, file_name="IMG_2024", mime_type=mime_type, content=original
        )
        await send_tip_with(bot, resident, document)
        [sent] = posted(bot, "document")
    assert sent != original
    assert_no_gps_or_owner(sent)
    with Image.open(io.BytesIO(sent)) as image:
        assert image.size == (40, 30)


async def test_a_heic_photo_with_gps_reaches_the_officers_clean(
    evidence_settings: Any, resident: Person
) -> None:
    original = heic_with_gps()
    assert original[4:12] == b"ftypheic"
    assert OWNER.encode() in original
    assert pillow_heif.open_heif(io.BytesIO(original)).info["exif"], "it carries EXIF (GPS)"
    async with BotHarness(evidence_settings) as bot:
        document = bot.updates.document(
            resident, file_name="IMG_0001.HEIC", mime_type="image/heic", content=original
        )
        await send_tip_with(bot, resident, document)
        [sent] = posted(bot, "document")
    assert_no_gps_or_owner(sent)
    with Image.open(io.BytesIO(sent)) as image:
        assert image.size == (64, 48)
        red, green, blue = image.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
        assert red > 150
        assert green < 80
        assert blue < 80


async def test_a_png_with_text_chunks_naming_its_owner_reaches_the_officers_without_them(
    evidence_settings: Any, resident: Person
) -> None:
    original = png_with_owner()
    with Image.open(io.BytesIO(original)) as check:
        assert check.text["Author"] == OWNER  # type: ignore[attr-defined]
    async with BotHarness(evidence_settings) as bot:
        document = bot.updates.document(
            resident, file_name="scan.png", mime_type="image/png", content=original
        )
        await send_tip_with(bot, resident, document)
        [sent] = posted(bot, "document")
    assert b"tEXt" not in sent
    assert b"iTXt" not in sent
    assert b"eXIf" not in sent
    assert_no_gps_or_owner(sent)
    with Image.open(io.BytesIO(sent)) as image:
        # Transparency is pixels, not metadata: it stays.
        assert image.convert("RGBA").getpixel((5, 5)) == (0, 0, 255, 128)


def webp_with_gps() -> bytes:
    """Return a WebP (some Android cameras' format) with EXIF, GPS and the owner's name."""
    output = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 200)).save(output, format="WEBP", exif=_exif())
    return output.getvalue()


def gif_with_comment() -> bytes:
    """Return a two-frame GIF whose comment names its owner."""
    output = io.BytesIO()
    first, second = Image.new("RGB", (16, 16), "red"), Image.new("RGB", (16, 16), "blue")
    first.save(output, format="GIF", save_all=True, append_images=[second], comment=OWNER.encode())
    return output.getvalue()


@pytest.mark.parametrize(
    ("make", "frames"), [(webp_with_gps, 1), (gif_with_comment, 2)], ids=["webp", "gif"]
)
async def test_webp_and_gif_files_reach_the_officers_without_metadata(
    evidence_settings: Any, resident: Person, make: Any, frames: int
) -> None:
    original: bytes = make()
    assert OWNER.encode() in original
    async with BotHarness(evidence_settings) as bot:
        document = bot.updates.document(resident, file_name="x", mime_type=None, content=original)
        await send_tip_with(bot, resident, document)
        [sent] = posted(bot, "document")
    assert_no_gps_or_owner(sent)
    with Image.open(io.BytesIO(sent)) as image:
        assert "comment" not in image.info
        assert getattr(image, "n_frames", 1) == frames


async def test_videos_and_voice_notes_reach_the_officers_without_their_tags(
    evidence_settings: Any, resident: Person, tmp_path: Path
) -> None:
    clip, voice = mp4_with_location(tmp_path), ogg_voice_with_owner(tmp_path)
    # ffmpeg writes the place as a binary "loci" box.
    for tag in (OWNER.encode(), b"SecretPhone", b"loci"):
        assert tag in clip
    assert OWNER.encode() in voice
    async with BotHarness(evidence_settings) as bot:
        await send_tip_with(
            bot,
            resident,
            bot.updates.video(resident, content=clip),
            bot.updates.voice(resident, content=voice),
        )
        [sent_clip] = posted(bot, "video")
        [sent_voice] = posted(bot, "voice")
    for sent in (sent_clip, sent_voice):
        assert OWNER.encode() not in sent
    assert b"SecretPhone" not in sent_clip
    assert b"loci" not in sent_clip
    assert sent_clip[4:8] == b"ftyp"
    assert sent_voice.startswith(b"OggS")


async def test_a_file_that_cannot_be_cleaned_is_withheld_with_a_notice(
    evidence_settings: Any, resident: Person
) -> None:
    noise = os.urandom(3000)
    async with BotHarness(evidence_settings) as bot:
        code = await send_tip_with(
            bot,
            resident,
            bot.updates.document(
                resident, file_name="IMG_9.jpg", mime_type="image/jpeg", content=noise
            ),
            # Not a video ffmpeg can read: nothing can say what metadata it holds.
            bot.updates.video(resident),
            bot.updates.document(resident),  # a PDF: no cleaner for its Author field
        )
        officers = bot.api.sent_messages(OFFICERS)
        assert [message.method for message in officers] == ["sendMessage"] * 4
        t = translator("vi")
        notices = [message.text for message in officers[1:]]
        for index, notice in enumerate(notices, start=1):
            assert notice == t.label("tips.card.withheld", code=code, index=index, total=3)
            assert f"/file {code} {index}" in notice
        card = officers[0]
        assert all(
            message.raw["reply_to_message"]["message_id"] == card.message_id
            for message in officers[1:]
        )
        # Nothing else went anywhere: no file was sent, by id or uploaded, to any chat.
        assert all(call.method != "sendDocument" for call in bot.api.calls)
        assert all(call.method != "sendVideo" for call in bot.api.calls)


@pytest.mark.parametrize("image_format", ["JPEG", "HEIF"])
def test_cleaning_keeps_a_rotated_photo_upright(image_format: str) -> None:
    """The orientation tag goes with the rest of the EXIF, so it is applied to the pixels."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    output = io.BytesIO()
    picture = Image.new("RGB", (40, 20), (0, 0, 0))
    if image_format == "HEIF":
        pillow_heif.from_pillow(picture).save(output, exif=exif.tobytes())
    else:
        picture.save(output, format=image_format, exif=exif)
    cleaned = strip_metadata(output.getvalue())
    assert cleaned is not None
    with Image.open(io.BytesIO(cleaned[0])) as upright:
        assert upright.size == (20, 40)
        assert dict(upright.getexif()) == {}
