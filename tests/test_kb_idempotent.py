"""Questions for the office, curated entries and feedback are applied once per update, even
when Telegram delivers the update again after a crash."""

from __future__ import annotations

import pytest

from bot.tg.stub_api import StubUser
from storage import DuplicateUpdateError
from tests.harness import Harness


async def test_side_effects_are_recorded_with_their_update(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/help")  # the person exists
    knowledge = bot.services.knowledge
    await knowledge.submit_question(alice.id, alice.id, "Hỏi thử?", update_id=1)
    with pytest.raises(DuplicateUpdateError):
        await knowledge.submit_question(alice.id, alice.id, "Hỏi thử?", update_id=1)
    await knowledge.add_faq("Câu hỏi?", "Trả lời.", "Văn phòng", alice.id, update_id=2)
    with pytest.raises(DuplicateUpdateError):
        await knowledge.add_faq("Câu hỏi?", "Trả lời.", "Văn phòng", alice.id, update_id=2)
    await knowledge.feedback(alice.id, "Hỏi thử?", None, True, update_id=3)
    with pytest.raises(DuplicateUpdateError):
        await knowledge.feedback(alice.id, "Hỏi thử?", None, True, update_id=3)
    assert len(await knowledge.unanswered()) == 1
    assert len(await knowledge.faq_entries()) == 1
    assert len(await knowledge.recent_feedback()) == 1


async def test_a_question_sent_again_after_a_crash_reaches_the_office_once(
    bot: Harness, alice: StubUser
) -> None:
    await bot.say(alice, "/start")
    await bot.say(alice, "/cancel")
    await bot.say(alice, "giá vàng SJC hôm nay")  # the documents do not say
    update = await bot.press(alice, "kb:office")
    assert len(await bot.services.knowledge.unanswered()) == 1
    await bot.restart(crash=True)
    await bot.feed(update)  # delivered again
    assert len(await bot.services.knowledge.unanswered()) == 1
