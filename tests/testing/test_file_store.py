"""The in-memory Bot API's file store: files outlive the API, and no id ever names two files."""

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import BadRequest

from bot.testing import InMemoryBotApi, Person, UpdateBuilder

USER = Person(101, "Lan")
OFFICERS = -100123


@asynccontextmanager
async def connected(api: InMemoryBotApi) -> AsyncIterator[Bot]:
    """Return a real Bot talking to `api`, as one run of the bot would."""
    bot = Bot(token="123:ABC", request=api, get_updates_request=api)
    await bot.initialize()
    try:
        yield bot
    finally:
        await bot.shutdown()


async def test_files_outlive_the_api_that_stored_them(tmp_path: Path) -> None:
    store = tmp_path / "files"
    first = InMemoryBotApi(file_store=store)
    async with connected(first) as bot:
        sent = UpdateBuilder(bot, first).photo(USER, content=b"\xff\xd8 the resident's \xff\xd9")
        assert sent.message is not None
        evidence = sent.message.photo[-1]
        chart = await bot.send_photo(OFFICERS, b"\x89PNG a chart")

    again = InMemoryBotApi(file_store=store)
    async with connected(again) as bot:
        file = await bot.get_file(evidence.file_id)
        assert file.file_unique_id == evidence.file_unique_id
        assert await file.download_as_bytearray() == b"\xff\xd8 the resident's \xff\xd9"
        resent = await bot.send_photo(OFFICERS, evidence.file_id)
        assert again.file_content(resent.photo[-1].file_id) == b"\xff\xd8 the resident's \xff\xd9"
        # A photo the bot uploaded keeps its sizes too: the same ids as in the first run.
        chart_again = await bot.send_photo(OFFICERS, chart.photo[-1].file_id)
        assert chart_again.photo == chart.photo


async def test_ids_go_on_across_runs_on_one_store(tmp_path: Path) -> None:
    store = tmp_path / "files"
    first = InMemoryBotApi(file_store=store)
    earlier = first.register_file(b"first run")
    earlier_unique = first.file_unique_id(earlier)

    again = InMemoryBotApi(file_store=store)
    later = again.register_file(b"second run")
    assert later != earlier
    assert again.file_unique_id(later) != earlier_unique
    assert again.file_content(earlier) == b"first run"


async def test_ids_of_a_deleted_store_are_refused_not_resolved(tmp_path: Path) -> None:
    store = tmp_path / "files"
    first = InMemoryBotApi(file_store=store)
    async with connected(first) as bot:
        old = await bot.send_photo(OFFICERS, b"\xff\xd8 evidence \xff\xd9")
    shutil.rmtree(store)

    fresh = InMemoryBotApi(file_store=store)
    async with connected(fresh) as bot:
        # The new store's first files, numbered as the old store's were.
        new = await bot.send_photo(OFFICERS, b"\x89PNG someone else's chart")
        assert {size.file_id for size in new.photo}.isdisjoint(s.file_id for s in old.photo)
        with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
            await bot.send_photo(OFFICERS, old.photo[-1].file_id)
        with pytest.raises(BadRequest, match="Invalid file_id"):
            await bot.get_file(old.photo[-1].file_id)


async def test_two_apis_on_one_store_at_once_never_mint_the_same_id(tmp_path: Path) -> None:
    store = tmp_path / "files"
    one, other = InMemoryBotApi(file_store=store), InMemoryBotApi(file_store=store)
    first = one.register_file(b"one's")
    second = other.register_file(b"other's")
    assert first != second
    later = InMemoryBotApi(file_store=store)
    assert (later.file_content(first), later.file_content(second)) == (b"one's", b"other's")


async def test_a_file_damaged_on_disk_is_refused_not_served(tmp_path: Path) -> None:
    store = tmp_path / "files"
    first = InMemoryBotApi(file_store=store)
    file_id = first.register_file(b"the whole evidence")
    (damaged,) = store.glob("*.bin")
    damaged.write_bytes(b"the who")  # as a crash halfway through writing would leave it

    async with connected(InMemoryBotApi(file_store=store)) as bot:
        with pytest.raises(BadRequest, match="Invalid file_id"):
            await bot.get_file(file_id)


async def test_a_forgotten_chats_files_leave_the_store(tmp_path: Path) -> None:
    store = tmp_path / "files"
    first = InMemoryBotApi(file_store=store)
    async with connected(first) as bot:
        sent = await bot.send_document(USER.id, b"%PDF done with", filename="a.pdf")
    assert sent.document is not None
    first.forget_chat(USER.id)

    with pytest.raises(KeyError):
        InMemoryBotApi(file_store=store).file_content(sent.document.file_id)
