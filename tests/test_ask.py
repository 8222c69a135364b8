"""Rules Q&A in the chat: free text, /hoi and /ask, the answer with its citation and buttons,
typed numbers after an answer, 👍/👎, the menu item; against the shipped documents (and a few
made-up answers where the exact shape matters)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.intents import asked_of_the_bot
from bot.kb.followup import follow_up
from bot.kb.models import Answer, DocumentMeta, Hit, SectionRecord
from bot.tg.stub_api import StubUser
from handlers.ask import MAX_QUESTION, PASSAGE_LIMIT, is_small_talk, short_label, trim_passage
from tests.harness import Harness

DELEGATES = "so luong dai bieu du hoi nghi"
DELEGATES_CITATION = "📄 <i>Kế hoạch 2025 › II.2.c Số lượng</i>"
RELATED = "chuong trinh hoi nghi"  # an answer with three "xem thêm" sections
OUT_OF_SCOPE = "giá vé máy bay đi Hà Nội bao nhiêu tiền"


def data_of(bot: Harness, chat_id: int) -> list[str]:
    return [data for _, data in bot.buttons(chat_id)]


def sections_offered(bot: Harness, chat_id: int) -> list[str]:
    return [data for data in data_of(bot, chat_id) if data.startswith("kb:s:")]


async def feedback_rows(bot: Harness) -> list[dict[str, object]]:
    return await bot.services.knowledge.recent_feedback()


def made_up_hit(section_id: int, text: str, heading: str = "Số lượng") -> Hit:
    document = DocumentMeta(
        id="kh-test", title="Kế hoạch thử nghiệm", short_title="Kế hoạch thử", number="1/KH"
    )
    section = SectionRecord(
        id=section_id,
        document_id=document.id,
        ordinal=section_id,
        kind="item",
        path=f"II.{section_id}",
        heading=heading,
        text=text,
    )
    return Hit(section=section, document=document, score=0.9)


# --- answers -----------------------------------------------------------------------------------


async def test_free_text_gets_the_passage_with_its_citation_and_buttons(
    bot: Harness, alice: StubUser
) -> None:
    await bot.say(alice, DELEGATES)
    text = bot.last_text(alice.id)
    assert text.startswith(bot.t("kb.answer_header"))
    assert "60 đại biểu" in text
    assert DELEGATES_CITATION in text
    data = data_of(bot, alice.id)
    assert 1 <= len(sections_offered(bot, alice.id)) <= 3
    assert data[-2:] == ["kb:fb:1", "kb:fb:0"]
    assert all(len(d.encode()) <= 64 for d in data)


async def test_hoi_and_ask_with_the_question(bot: Harness, alice: StubUser, bob: StubUser) -> None:
    await bot.say(alice, "/hoi HN tuyên dương bao nhiêu đại biểu?")
    assert "60 đại biểu" in bot.last_text(alice.id)
    await bot.say(bob, "/ask how many delegates attend the conference")
    text = bot.last_text(bob.id)
    assert text.startswith(bot.t("kb.answer_header", "en"))
    assert "60 đại biểu" in text


async def test_hoi_alone_asks_for_the_question(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/hoi")
    assert bot.last_text(alice.id) == bot.t("kb.ask_prompt")
    assert await bot.state(alice, "ask") == "question"
    await bot.say(alice, "x" * 501)
    assert bot.last_text(alice.id) == bot.t("kb.too_long", length=501, limit=MAX_QUESTION)
    assert await bot.state(alice, "ask") == "question"
    await bot.say(alice, "thoi gian thi dua den khi nao")
    assert "11/6/2023" in bot.last_text(alice.id)
    assert await bot.state(alice, "ask") is None


async def test_hoi_alone_then_cancel(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/ask")
    await bot.say(alice, "/menu")  # another command: reminded, question asked again
    assert bot.last_text(alice.id) == bot.t("kb.ask_prompt")
    await bot.say(alice, "/cancel")
    assert bot.last_text(alice.id) == bot.t("flow.cancelled")
    assert await bot.state(alice, "ask") is None
    assert await bot.db_value("SELECT count(*) FROM conversations") == 0


async def test_both_plans_are_shown_each_with_its_citation(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "số lượng bằng khen của chủ tịch UBND tỉnh")
    text = bot.last_text(alice.id)
    assert text.startswith(bot.t("kb.answer_both"))
    assert "<i>Kế hoạch 2023 ›" in text and "<i>Kế hoạch 2025 ›" in text
    assert "01-02 tập thể" in text and "05-10 tập thể" in text


async def test_too_long_question_is_not_searched(
    bot: Harness, alice: StubUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def never(question: str) -> Answer:
        raise AssertionError("searched")

    monkeypatch.setattr(bot.services.knowledge, "ask", never)
    question = "hội nghị " * 60
    await bot.say(alice, question)
    assert bot.last_text(alice.id) == bot.t(
        "kb.too_long", length=len(question.strip()), limit=MAX_QUESTION
    )


async def test_greetings_and_numbers_get_the_menu(bot: Harness, alice: StubUser) -> None:
    for text, first in (
        ("Xin chào", "kb.hello"),
        ("9", "fallback.text"),
        ("🙂🙂", "fallback.text"),
    ):
        mark = bot.mark()
        await bot.say(alice, text)
        texts = bot.texts_since(mark, alice.id)
        assert texts[0] == bot.t(first), text
        assert texts[1].startswith(bot.t("menu.title"))
    for text in ("cảm ơn ạ", "Thanks", "ok cảm ơn ạ", "cảm ơn bot nhiều nhé", "thanks a lot"):
        mark = bot.mark()  # never "I did not understand" to a thank-you
        await bot.say(alice, text)
        assert bot.texts_since(mark, alice.id) == [bot.t("kb.thanks")], text
    for text in ("bot là ai vậy", "Bạn làm được gì?", "who are you"):
        mark = bot.mark()
        await bot.say(alice, text)
        texts = bot.texts_since(mark, alice.id)
        assert texts[0] == bot.t("kb.hello"), text
        assert texts[1].startswith(bot.t("menu.title"))


@pytest.mark.parametrize(
    ("question", "hint"),
    [
        ("tôi muốn nộp sáng kiến thì làm thế nào", "kb.hint.initiative"),
        ("lam sao de nop don cong nhan sang kien", "kb.hint.initiative"),
        ("đăng ký dự hội nghị ở đâu ạ", "kb.hint.events"),
    ],
)
async def test_how_to_use_a_service_gets_the_way_to_it(
    bot: Harness, alice: StubUser, question: str, hint: str
) -> None:
    await bot.say(alice, question)  # the plans do not say: the bot's own service, and the office
    assert bot.last_text(alice.id) == bot.t(hint) + "\n\n" + bot.t("kb.office.offer")
    assert data_of(bot, alice.id) == ["kb:office"]
    await bot.say(alice, "gửi")  # the office button still typed
    assert bot.last_text(alice.id).startswith(
        bot.t("kb.office.sent", id=1, question="x").split(":")[0]
    )


async def test_a_question_the_plans_answer_is_answered(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "ai được mời dự hội nghị")  # «mời dự», not how to register
    assert bot.last_text(alice.id).startswith(bot.t("kb.answer_header"))


async def test_menu_item_explains_how_to_ask(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/menu")
    assert "menu:ask" in data_of(bot, alice.id)
    await bot.press(alice, "menu:ask")
    assert bot.last_text(alice.id) == bot.t("kb.howto")
    await bot.say(alice, "hoi dap quy dinh")  # typed menu choice, not a question
    assert bot.last_text(alice.id) == bot.t("kb.howto")
    await bot.say(alice, "3")  # its number in the menu, which is not the last message
    assert bot.last_text(alice.id).startswith(bot.t("menu.which_number", n="3"))
    await bot.say(alice, "3")  # right after the menu
    assert bot.last_text(alice.id) == bot.t("kb.howto")


# --- "xem thêm" ----------------------------------------------------------------------------------


async def test_typed_number_right_after_an_answer_opens_that_section(
    bot: Harness, alice: StubUser
) -> None:
    await bot.say(alice, RELATED)
    offered = sections_offered(bot, alice.id)
    buttons = bot.buttons(alice.id)
    labels = [label for label, data in buttons if data.startswith("kb:s:")]
    await bot.say(alice, "2")
    text = bot.last_text(alice.id)
    assert text.startswith(bot.t("kb.section_header"))
    assert labels[1].removeprefix("🔎 ").rstrip("…") in text
    assert bot.buttons(alice.id) == buttons  # same buttons, same numbers
    await bot.say(alice, "1")  # still about the same answer
    assert labels[0].removeprefix("🔎 ").rstrip("…") in bot.last_text(alice.id)
    assert len(offered) >= 2
    # Another message ends it: "4" is the main menu's fourth item (profile) again.
    await bot.say(alice, "Xin chào")
    await bot.say(alice, "4")
    assert await bot.state(alice, "profile") == "consent"


async def test_number_out_of_range_after_an_answer(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, DELEGATES)
    count = len(bot.buttons(alice.id))
    await bot.say(alice, "9")
    assert bot.last_text(alice.id) == bot.t(
        "kb.pick_range", numbers=bot.t("pick.range", low=1, high=count)
    )


async def test_a_flow_after_an_answer_gets_its_numbers(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, DELEGATES)
    await bot.say(alice, "/language")
    await bot.say(alice, "2")
    assert bot.last_text(alice.id) == bot.t("language.changed", "en")


async def test_button_opens_a_section_and_keeps_the_others(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, RELATED)
    answer = bot.last_keyboard_message(alice.id)
    offered = sections_offered(bot, alice.id)
    await bot.press(alice, offered[0], message=answer)
    assert bot.last_text(alice.id).startswith(bot.t("kb.section_header"))
    assert not bot.stub.sent(alice.id, "editMessageReplyMarkup")
    await bot.press(alice, offered[1], message=answer)
    assert bot.last_text(alice.id).startswith(bot.t("kb.section_header"))


async def test_section_after_an_abstention_keeps_the_office_button(
    bot: Harness, alice: StubUser
) -> None:
    await bot.say(alice, "Hội nghị tuyên dương tổ chức ở đâu?")  # no venue, related sections
    data = data_of(bot, alice.id)
    assert data[0] == "kb:office" and "kb:fb:1" not in data
    assert len(data) >= 2
    await bot.say(alice, "2")
    assert bot.last_text(alice.id).startswith(bot.t("kb.section_header"))
    assert data_of(bot, alice.id) == [*data, "kb:fb:1", "kb:fb:0"]
    await bot.say(alice, "1")
    assert bot.last_text(alice.id).startswith(
        bot.t("kb.office.sent", id=1, question="x").split(":")[0]
    )


async def test_section_no_longer_known(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, DELEGATES)
    await bot.press(alice, "kb:s:999999")
    assert bot.last_text(alice.id) == bot.t("kb.section_gone")


# --- feedback ----------------------------------------------------------------------------------


async def test_feedback_by_button_is_stored_once(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, DELEGATES)
    await bot.press(alice, "kb:fb:1")
    answered = bot.stub.sent(method="answerCallbackQuery")[-1]
    assert answered.params.get("text") == bot.t("kb.thanks")
    rows = await feedback_rows(bot)
    assert len(rows) == 1
    assert rows[0]["helpful"] is True and rows[0]["path"] == "II.2.c"
    assert rows[0]["question"] == DELEGATES
    # The 👍/👎 row leaves the message; the "xem thêm" buttons stay.
    edit = bot.stub.sent(alice.id, "editMessageReplyMarkup")[-1]
    kept = [
        b["callback_data"] for row in edit.params["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert kept and all(data.startswith("kb:s:") for data in kept)


async def test_feedback_typed(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, DELEGATES)
    count = len(bot.buttons(alice.id))
    await bot.say(alice, str(count))  # the last button: 👎
    assert bot.last_text(alice.id) == bot.t("kb.thanks")
    await bot.say(alice, "👍")  # a change of mind: one vote per answer, the latest
    rows = await feedback_rows(bot)
    assert [row["helpful"] for row in rows] == [True]
    await bot.press(alice, "kb:fb:0")  # the button of the same answer: replaces it again
    await bot.press(alice, "kb:fb:0")
    assert [row["helpful"] for row in await feedback_rows(bot)] == [False]


@pytest.mark.parametrize("typed", ["không hữu ích", "ko huu ich", "chưa hữu ích", "not helpful"])
async def test_unhelpful_typed_in_words(bot: Harness, alice: StubUser, typed: str) -> None:
    await bot.say(alice, DELEGATES)
    await bot.say(alice, typed)
    assert bot.last_text(alice.id) == bot.t("kb.thanks")
    assert [row["helpful"] for row in await feedback_rows(bot)] == [False]


async def test_feedback_on_a_section_shown_later(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, DELEGATES)
    await bot.say(alice, "1")
    await bot.press(alice, "kb:fb:0")
    rows = await feedback_rows(bot)
    assert rows[0]["helpful"] is False and rows[0]["path"] != "II.2.c"


# --- escaping and trimming ---------------------------------------------------------------------


@pytest.mark.shows_markup
async def test_passages_and_questions_are_escaped(
    bot: Harness, alice: StubUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    hit = made_up_hit(1, "Điểm <b>a</b> & điểm <script>b</script>")

    async def ask(question: str, **_: object) -> Answer:
        return Answer(question=question, abstained=False, best=hit)

    monkeypatch.setattr(bot.services.knowledge, "ask", ask)
    await bot.say(alice, "<i>số lượng</i>")
    text = bot.last_text(alice.id)
    assert "Điểm &lt;b&gt;a&lt;/b&gt; &amp; điểm &lt;script&gt;" in text
    assert "<script>" not in text


async def test_long_passage_is_trimmed_around_the_question(
    bot: Harness, alice: StubUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    filler = [f"- Nội dung tuyên truyền thứ {i} về phong trào thi đua yêu nước." for i in range(40)]
    lines = [
        "b) Tuyên truyền",
        *filler[:25],
        "- Kinh phí tổ chức hội nghị: 50 triệu đồng.",
        *filler,
    ]
    hit = made_up_hit(2, "\n".join(lines), heading="Tuyên truyền")

    async def ask(question: str, **_: object) -> Answer:
        return Answer(question=question, abstained=False, best=hit)

    monkeypatch.setattr(bot.services.knowledge, "ask", ask)
    await bot.say(alice, "kinh phí tổ chức hội nghị")
    text = bot.last_text(alice.id)
    assert "Kinh phí tổ chức hội nghị: 50 triệu đồng" in text
    assert "b) Tuyên truyền" in text and "…" in text
    assert len(text) < PASSAGE_LIMIT + 400


def test_trim_passage_keeps_short_text_and_marks_cuts() -> None:
    assert trim_passage("c) Số lượng: Khoảng 60 đại biểu.", "bao nhiêu") == (
        "c) Số lượng: Khoảng 60 đại biểu."
    )
    sentences = " ".join(f"Câu thứ {i} nói về việc khác nhau." for i in range(80))
    text = f"a) Mở đầu. {sentences} Hạn chót nộp báo cáo là ngày 30/11. {sentences}"
    trimmed = trim_passage(text, "hạn chót nộp báo cáo")
    assert "Hạn chót nộp báo cáo là ngày 30/11." in trimmed
    assert trimmed.startswith("a) Mở đầu.") and "…" in trimmed
    assert len(trimmed) <= PASSAGE_LIMIT
    one_long_line = "x" * 5000
    assert len(trim_passage(one_long_line, "x")) <= PASSAGE_LIMIT


def test_small_helpers() -> None:
    assert short_label("Kế hoạch 2025 › II.2.c Số lượng") == "Kế hoạch 2025 › II.2.c Số lượng"
    assert short_label("x" * 100).endswith("…") and len(short_label("x" * 100)) == 48
    assert is_small_talk("Xin chào!") and is_small_talk("12") and is_small_talk("???")
    assert not is_small_talk("hội nghị bao nhiêu đại biểu")


async def test_typed_numbers_survive_a_restart(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, DELEGATES)
    labels = [label for label, data in bot.buttons(alice.id) if data.startswith("kb:s:")]
    await bot.restart()
    await bot.say(alice, "1")
    assert labels[0].removeprefix("🔎 ").rstrip("…") in bot.last_text(alice.id)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("cảm ơn", "thanks"),
        ("dạ em cảm ơn anh nhiều ạ", "thanks"),
        ("cảm ơn, cho hỏi hạn nộp hồ sơ", None),  # a question after the thanks
        ("bot la ai z", "who"),
        ("what can you do?", "who"),
        ("muốn gửi sáng kiến thì làm sao", "initiative"),
        ("how do I submit an initiative", "initiative"),
        ("nộp sk ở đâu", "initiative"),
        ("sáng kiến nào được công nhận", None),  # about initiatives, not how to submit one
        ("làm sao đăng ký dự hn", "events"),
        ("hội nghị tổ chức khi nào", None),
        ("mã check-in của tôi", "events"),
        ("my QR code", "events"),
        ("", None),
    ],
)
def test_what_is_asked_of_the_bot(text: str, intent: str | None) -> None:
    assert asked_of_the_bot(text) == intent


@given(st.text(max_size=300))
def test_any_text_asks_the_bot_something_or_nothing(text: str) -> None:
    assert asked_of_the_bot(text) in (None, "thanks", "who", "initiative", "events")


@pytest.mark.parametrize(
    ("first", "then", "fact"),
    [
        ("so luong giay khen nam 2023", "con nam 2025 thi sao?", "05-10 tập thể"),
        ("hội nghị tổng kết tổ chức khi nào", "bao nhiêu người?", "60 đại biểu"),
        ("giay khen dot thi dua 2023 bao nhieu", "thế còn bằng khen?", "01-02 tập thể"),
    ],
)
async def test_a_follow_up_is_read_with_the_question_before(
    bot: Harness, alice: StubUser, first: str, then: str, fact: str
) -> None:
    await bot.say(alice, first)
    await bot.say(alice, then)
    assert not bot.last_text(alice.id).startswith(bot.t("kb.abstain").split("\n")[0])
    assert fact in bot.last_text(alice.id)


async def test_a_follow_up_alone_is_not_read_with_anything(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "con nam 2025 thi sao?")  # nothing before it
    assert bot.last_text(alice.id).startswith(bot.t("kb.abstain").split("\n")[0])
    await bot.say(alice, "khẩu hiệu thi đua là gì")
    shown = bot.last_text(alice.id)
    await bot.say(alice, "còn nữa không?")  # the same passage again is no answer
    assert bot.last_text(alice.id) != shown


@pytest.mark.parametrize(
    ("previous", "question", "combined"),
    [
        ("so luong giay khen nam 2023", "con nam 2025 thi sao?", "so luong giay khen nam 2025"),
        ("hoi nghi to chuc khi nao", "o dau?", "hoi nghi to chuc o dau"),
        ("hoi nghi to chuc khi nao", "bao nhieu nguoi", "hoi nghi to chuc bao nhieu nguoi"),
        ("what is the slogan", "and the period?", "the slogan the period"),
        ("hoi nghi to chuc khi nao", "ai ký kế hoạch năm 2023 vậy ạ", None),  # a question
        ("hoi nghi to chuc khi nao", "thì sao?", None),  # nothing new
        ("", "bao nhieu nguoi", None),
    ],
)
def test_follow_up_reading(previous: str, question: str, combined: str | None) -> None:
    assert follow_up(previous, question) == combined
