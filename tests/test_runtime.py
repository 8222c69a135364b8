"""Update processing (concurrency, order, redelivery) and the error handler."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.tg.context import BotContext
from bot.tg.logs import RedactFilter
from bot.tg.stub_api import StubUser
from tests.harness import Harness, make_settings

OFFICE = -100555


@pytest.fixture
async def office_bot(tmp_path: Path):  # type: ignore[no-untyped-def]
    harness = await Harness(make_settings(tmp_path, office_chat_id=OFFICE)).start()
    yield harness
    await harness.stop()


async def test_each_person_in_order_different_people_at_once(bot: Harness) -> None:
    seen: list[tuple[int, str]] = []

    async def slow(update: Update, context: BotContext) -> None:
        assert update.effective_user is not None and update.effective_message is not None
        await asyncio.sleep(0.2 if context.args == ["first"] else 0.01)
        seen.append((update.effective_user.id, " ".join(context.args or [])))
        raise ApplicationHandlerStop

    assert bot.app is not None
    bot.app.add_handler(CommandHandler("slow", slow), group=-5)
    a, b = StubUser(1), StubUser(2)
    started = time.monotonic()
    await asyncio.gather(
        bot.say(a, "/slow first"),
        bot.say(a, "/slow second"),
        bot.say(b, "/slow first"),
        bot.say(b, "/slow second"),
    )
    elapsed = time.monotonic() - started
    assert [arg for uid, arg in seen if uid == 1] == ["first", "second"]
    assert [arg for uid, arg in seen if uid == 2] == ["first", "second"]
    assert elapsed < 0.38  # the two people's slow updates overlapped


async def test_every_update_is_recorded_once_processed(bot: Harness, alice: StubUser) -> None:
    update = await bot.say(alice, "/help")
    assert (
        await bot.db_value(
            "SELECT count(*) FROM processed_updates WHERE update_id=?", update["update_id"]
        )
        == 1
    )
    mark = bot.mark()
    await bot.feed(update)  # delivered again: skipped
    assert bot.texts_since(mark, alice.id) == []


async def test_error_is_reported_politely_and_throttled(
    office_bot: Harness, alice: StubUser, bob: StubUser
) -> None:
    async def boom(update: Update, context: BotContext) -> None:
        raise RuntimeError("kaboom")

    assert office_bot.app is not None
    office_bot.app.add_handler(CommandHandler("boom", boom), group=-5)
    await office_bot.say(alice, "/boom")
    assert office_bot.texts(alice.id)[-1] == office_bot.t("error.generic")
    reports = office_bot.texts(OFFICE)
    assert len(reports) == 1 and "kaboom" in reports[0] and "<pre>" in reports[0]
    await office_bot.say(alice, "/boom")
    assert len(office_bot.texts(OFFICE)) == 1  # throttled
    assert office_bot.app.error_reporter.suppressed == 1
    await office_bot.say(bob, "/boom")  # in the person's language
    assert office_bot.texts(bob.id)[-1] == office_bot.t("error.generic", "en")
    await office_bot.say(alice, "/language en")
    await office_bot.say(alice, "/boom")  # the language chosen, over Telegram's
    assert office_bot.texts(alice.id)[-1] == office_bot.t("error.generic", "en")


async def test_error_keeps_the_flow_step(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/start")
    await bot.press(alice, "pf:yes")
    bot.stub.failures["sendMessage"] = [(400, "Bad Request: chat not found", None)]
    await bot.say(alice, "Hoàng Văn Nam")
    # The answer was saved before the reply failed; the person is told nothing is lost.
    assert bot.last_text(alice.id) == bot.t("error.generic")
    draft = await bot.services.profile.draft(alice.id)
    assert draft["full_name"] == "Hoàng Văn Nam"


def test_token_never_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    token = "123456:SECRET-token-value"
    logger = logging.getLogger("test.redact")
    handler = logging.Handler()
    records: list[logging.LogRecord] = []
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(RedactFilter([token]))
    logger.addHandler(handler)
    try:
        logger.error("POST https://api.telegram.org/bot%s/getUpdates failed", token)
        try:
            raise ValueError(f"bad url .../bot{token}/x")
        except ValueError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    text = " ".join(r.getMessage() + (r.exc_text or "") for r in records)
    assert token not in text and "<redacted>" in text


async def test_received_updates_survive_a_crash_before_processing(
    bot: Harness, alice: StubUser
) -> None:
    """Updates are stored as they arrive (before Telegram counts them delivered) and the ones
    a crash left unprocessed are queued again at the next start."""
    assert bot.app is not None
    update_json = bot.stub.user_message(alice, "/help")
    update = Update.de_json(update_json, bot.app.bot)
    await bot.app.update_queue.put(update)  # what the poller or the webhook server does
    assert await bot.db_value("SELECT count(*) FROM inbox") == 1
    await bot.restart(crash=True)  # never processed
    assert bot.app is not None
    queued = bot.app.update_queue.get_nowait()
    assert isinstance(queued, Update) and queued.update_id == update.update_id
    await bot.feed(update_json)
    assert bot.last_text(alice.id) == bot.t("help.staff")
    assert await bot.db_value("SELECT count(*) FROM inbox") == 0
    assert (
        await bot.db_value(
            "SELECT count(*) FROM processed_updates WHERE update_id=?", update.update_id
        )
        == 1
    )


async def test_an_update_delivered_again_leaves_nothing_to_replay(
    bot: Harness, alice: StubUser
) -> None:
    """A processed update delivered again is stored, skipped and its stored copy dropped; and
    pruning the ids of processed updates first drops any copy left, which would otherwise look
    unprocessed once its id is forgotten and be replayed (an old message answered again)."""
    assert bot.app is not None
    update_json = await bot.say(alice, "/help")
    update = Update.de_json(update_json, bot.app.bot)
    await bot.app.update_queue.put(update)  # delivered again: stored as it arrives
    assert await bot.db_value("SELECT count(*) FROM inbox") == 1
    mark = bot.mark()
    await bot.feed(update_json)
    assert bot.texts_since(mark, alice.id) == []
    assert await bot.db_value("SELECT count(*) FROM inbox") == 0

    # A copy left behind (by a version before this fix, say), then a prune of every id.
    await bot.app.update_queue.put(update)
    bot.app.update_queue.get_nowait()
    assert await bot.db_value("SELECT count(*) FROM inbox") == 1
    await bot.services.flows.prune("9999-01-01T00:00:00")
    assert await bot.db_value("SELECT count(*) FROM inbox") == 0
    assert await bot.db_value("SELECT count(*) FROM processed_updates") == 0
    await bot.restart(crash=True)
    assert bot.app is not None and bot.app.update_queue.empty()


async def test_flood_limits_and_network_errors_are_retried(tmp_path: Path, alice: StubUser) -> None:
    harness = await Harness(make_settings(tmp_path), rate_limiter=True).start()
    try:
        harness.stub.failures["sendMessage"] = [
            (429, "Too Many Requests: retry after 0", {"retry_after": 0}),
            (502, "Bad Gateway", None),
        ]
        await harness.say(alice, "/help")
        attempts = [c for c in harness.stub.calls if c.method == "sendMessage"]
        assert len(attempts) == 3  # 429, 502, then delivered
        assert harness.last_text(alice.id) == harness.t("help.staff")
    finally:
        await harness.stop()
