"""Hypothesis through the bot: any text at every free-text step of the initiative form.

Each example fills the whole form through the real application, typing arbitrary text (controls,
marks, emoji, markup, very long text) at every step that takes free text. A step either keeps
the text or refuses it with a localized message and stays; the review screen then shows each
kept answer exactly as stored (escaped once: the Bot API stand-in refuses invalid HTML and the
conftest guard fails on markup shown twice); submitting works and the .docx holds the answers.
"""

from __future__ import annotations

import io
import itertools
import json
from typing import Any

from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.telegram_html import parse
from bot.domain.text import shorten
from bot.tg.stub_api import StubUser
from tests.harness import Harness
from tests.test_initiative_flow import register
from tests.test_properties import messy_text

# Steps that take free text: what to type when the random text is refused.
FREE_TEXT = {
    "authors.qualification": "Thạc sĩ",
    "title": "Phần mềm quản lý hồ sơ",
    "investor": "bỏ qua",
    "domain": "Cải cách hành chính",
    "problem": "Hồ sơ chậm",
    "confidential": "bỏ qua",
    "conditions": "Máy tính",
    "benefit_author": "Nhanh hơn",
    "benefit_others": "bỏ qua",
}
# The other steps: a valid answer, typed (a leading "!" presses a button).
FIXED = {
    "recipient": "!sk:c:0",
    "authors.birth_date": "15/8/1985",
    "authors.more": "!sk:done",
    "solution_type": "quản lý",
    "campaign": "1",
    "state_funds": "không",
    "first_applied": "1/3/2025",
    "appliers.more": "!sk:done",
}
# Text a person may type that looks like HTML: it must reach the screen as typed.
MARKUP = st.lists(
    st.sampled_from(["<b>", "</b>", "<i>", "&amp;", "&", "<", ">", "a<b", "&lt;", "Hồ sơ", " "]),
    min_size=1,
    max_size=12,
).map("".join)
REVIEW_MAX = 220  # characters of an answer the review screen shows (handlers/initiative.py)
_ids = itertools.count(50_000)


def shown_on_review(value: str) -> str:
    """What the review screen keeps of a long answer (cut by ``shorten``, tested on its own)."""
    return shorten(value, REVIEW_MAX).removesuffix("…")


async def answer(bot: Harness, user: StubUser, text: str) -> None:
    if text.startswith("!"):
        await bot.press(user, text[1:])
    else:
        await bot.say(user, text)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
async def test_any_text_at_every_free_text_step(bot: Harness, data: st.DataObject) -> None:
    user = StubUser(next(_ids), first_name="Lan", language_code="vi")
    await register(bot, user)
    await bot.say(user, "/sangkien")
    typed: dict[str, str] = {}
    for _ in range(60):
        state = await bot.state(user, "initiative")
        assert state is not None, "the form closed by itself"
        if state == "review":
            break
        if state == "description":
            text = data.draw(
                st.one_of(MARKUP, messy_text(3000)).filter(str.strip), label="description"
            )
            await bot.say(user, text)
            await bot.say(user, "/xong")
            if await bot.state(user, "initiative") == "description":  # refused: a valid one
                await bot.say(user, "Mô tả ngắn gọn của sáng kiến.")
                await bot.say(user, "/xong")
            continue
        if state in FREE_TEXT and state not in typed:
            text = data.draw(st.one_of(MARKUP, messy_text(400)).filter(str.strip), label=state)
            typed[state] = text
            mark = bot.mark()
            await bot.say(user, text)
            replies = bot.texts_since(mark, user.id)
            assert replies, f"no reply to {text!r} at {state}"
            assert bot.t("error.generic") not in replies
            if replies[-1] == bot.t("initiative.paused"):  # «thoát», "i want to cancel"
                await bot.say(user, "/sangkien")  # resumes at the same step
                assert await bot.state(user, "initiative") == state
                typed.pop(state)
            continue
        await answer(bot, user, FREE_TEXT.get(state) or FIXED[state])
    else:
        raise AssertionError("the form never reached the review screen")

    raw = await bot.db_value(
        "SELECT data FROM drafts WHERE user_id = ? AND flow = 'initiative'", user.id
    )
    answers: dict[str, Any] = json.loads(raw)["answers"]
    review = "\n".join(parse(part) for part in bot.texts(user.id)[-3:])
    for field in ("title", "investor", "domain", "problem", "confidential", "conditions"):
        value = answers.get(field)
        if isinstance(value, str) and value:
            assert shown_on_review(value) in review, (field, value)

    await bot.press(user, "sk:submit")
    await bot.press(user, "sk:commit")
    assert await bot.state(user, "initiative") is None
    row = await bot.db_row(
        "SELECT number, content FROM initiatives WHERE submitter_id = ?", user.id
    )
    assert row is not None
    sent = bot.stub.sent(user.id, "sendDocument")[-1]
    document = Document(io.BytesIO(sent.params["_bytes"]))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells
    )
    content = json.loads(row["content"])
    for field in ("title", "domain", "problem", "conditions", "benefit_author"):
        assert " ".join(content[field].split()) in " ".join(text.split()), field
