"""The office's side of the rules Q&A: a question the documents do not answer goes to the office,
the office answers (reply to the message, or /reply), the bot relays it and can keep it as a
curated entry; /questions, /faq_add, documents sent with /kb_add; admins only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain import telegram_html
from bot.tg.stub_api import JSON, BotAPIStub, StubUser
from bot.tg.stub_request import StubRequest
from tests.harness import ADMIN_ID, Harness, make_settings

OFFICE = -100777
OUT_OF_SCOPE = "giá vé máy bay đi Hà Nội bao nhiêu tiền"
MEMBER = StubUser(5005, first_name="Hạnh", last_name="Văn phòng", language_code="vi")
REGULATION = """QUY CHẾ
Khen thưởng sáng kiến cải tiến kỹ thuật năm 2026

I. QUY ĐỊNH CHUNG
1. Phạm vi: Quy chế này áp dụng cho công chức, viên chức của Sở.
2. Mức thưởng: Mỗi sáng kiến được công nhận được thưởng 2.000.000 đồng.
II. HỒ SƠ
1. Hạn nộp hồ sơ sáng kiến: trước ngày 15/10/2026.
"""


@pytest.fixture
async def office_bot(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await Harness(make_settings(tmp_path, office_chat_id=OFFICE)).start()
    yield harness
    await harness.stop()


async def register(bot: Harness, user: StubUser, name: str, unit_button: str = "pf:unit:0") -> None:
    await bot.say(user, "/start")
    await bot.press(user, "pf:yes")
    await bot.say(user, name)
    await bot.press(user, unit_button)
    await bot.say(user, "Chuyên viên")
    await bot.press(user, "pf:skip")
    await bot.press(user, "pf:ok")


def last_message(bot: Harness, chat_id: int) -> JSON:
    """The last message the bot sent to ``chat_id``."""
    call = bot.stub.sent(chat_id, "sendMessage")[-1]
    assert isinstance(call.result, dict)
    return call.result


async def ask_unanswerable(bot: Harness, user: StubUser, question: str = OUT_OF_SCOPE) -> None:
    await bot.say(user, question)
    assert bot.last_text(user.id).startswith(bot.t("kb.abstain", user.language_code or "vi"))
    assert bot.buttons(user.id)[0][1] == "kb:office"


def question_id(bot: Harness, chat_id: int) -> int:
    text = str(last_message(bot, chat_id)["text"])
    number = text.split("Câu hỏi số ", 1)[1].split("<", 1)[0]
    return int(number)


# --- abstain → office → relay → curated entry ------------------------------------------------


async def test_question_goes_to_the_office_group_and_the_answer_comes_back(
    office_bot: Harness, alice: StubUser
) -> None:
    bot = office_bot
    await register(bot, alice, "Nguyễn Thị Lan")
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    assert bot.last_text(alice.id) == bot.t("kb.office.sent", id=1, question=OUT_OF_SCOPE)
    posted = last_message(bot, OFFICE)
    assert "Nguyễn Thị Lan" in posted["text"] and OUT_OF_SCOPE in posted["text"]
    assert bot.services.units[0] in posted["text"]
    assert question_id(bot, OFFICE) == 1

    # An office member replies to it in the group (before the gate, which stops group talk).
    answer = "Giá vé do <b>Văn phòng</b> & Phòng Kế hoạch tính."
    await bot.say(MEMBER, answer, chat_id=OFFICE, reply_to=posted["message_id"])
    relay = bot.last_text(alice.id)
    assert relay.startswith("💬 <b>Văn phòng Sở trả lời câu hỏi của anh/chị</b>")
    assert "Giá vé do &lt;b&gt;Văn phòng&lt;/b&gt; &amp; Phòng Kế hoạch tính." in relay
    confirmation = bot.last_text(OFFICE)
    assert confirmation.startswith(bot.t("kb.office.relayed", id=1, name="Nguyễn Thị Lan"))
    assert [d for _, d in bot.buttons(OFFICE)] == ["kb:faq:1"]
    assert await bot.services.knowledge.unanswered() == []

    # Saved as a curated entry: the same question, typed differently, now gets that answer.
    await bot.press(MEMBER, "kb:faq:1", message=bot.last_keyboard_message(OFFICE))
    saved = bot.last_text(OFFICE)  # what is now public, and how to take it back
    assert saved.startswith(bot.t("kb.office.faq_saved", id=1, question="", answer="")[:40])
    assert "Giá vé do &lt;b&gt;Văn phòng&lt;/b&gt; &amp; Phòng Kế hoạch tính." in saved
    assert "/faq_remove 1" in saved
    await bot.say(alice, "gia ve may bay di ha noi bao nhieu tien")
    text = bot.last_text(alice.id)
    assert text.startswith(bot.t("kb.faq_header"))
    assert "Giá vé do &lt;b&gt;Văn phòng&lt;/b&gt;" in text and "Văn phòng Sở," in text


async def test_typed_send_goes_to_each_admin_who_replies_in_private(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    await bot.say(admin, "/start")
    await ask_unanswerable(bot, alice)
    await bot.say(alice, "gửi")  # typed form of the button
    assert bot.last_text(alice.id) == bot.t("kb.office.sent", id=1, question=OUT_OF_SCOPE)
    await bot.say(alice, "gửi")
    assert bot.last_text(alice.id) == bot.t("kb.office.already_sent")
    posted = last_message(bot, ADMIN_ID)
    assert OUT_OF_SCOPE in posted["text"]

    await bot.say(admin, "Anh/chị liên hệ phòng Kế hoạch.", reply_to=posted["message_id"])
    assert "Anh/chị liên hệ phòng Kế hoạch." in bot.last_text(alice.id)
    confirmation = last_message(bot, ADMIN_ID)
    # Typed form of "save as FAQ": reply "lưu" to the confirmation.
    await bot.say(admin, "lưu", reply_to=confirmation["message_id"])
    assert bot.last_text(ADMIN_ID).startswith(
        bot.t("kb.office.faq_saved", id=1, question="", answer="").split("(")[0]
    )
    assert len(await bot.services.knowledge.faq_entries()) == 1
    # A second answer to the same question: the first one stands.
    await bot.say(admin, "Câu trả lời khác", reply_to=posted["message_id"])
    assert bot.last_text(ADMIN_ID) == bot.t(
        "kb.office.already_answered", id=1, answer="Anh/chị liên hệ phòng Kế hoạch."
    )


async def test_filler_after_an_unanswered_question_is_not_what_gets_sent(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    """«chờ chút» between the answer and «gửi» is neither searched nor sent: the question is,
    and the confirmation quotes it."""
    await bot.say(admin, "/start")
    await ask_unanswerable(bot, alice)
    for filler in ("chờ chút", "đợi tí", "hmm"):
        await bot.say(alice, filler)
        assert bot.last_text(alice.id) != bot.t("kb.abstain")
    await bot.say(alice, "gửi")
    assert bot.last_text(alice.id) == bot.t("kb.office.sent", id=1, question=OUT_OF_SCOPE)
    assert OUT_OF_SCOPE in bot.last_text(alice.id)
    assert [q.question for q in await bot.services.knowledge.unanswered()] == [OUT_OF_SCOPE]
    assert OUT_OF_SCOPE in last_message(bot, ADMIN_ID)["text"]


async def test_other_replies_in_private_chats_go_on_as_usual(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/menu")
    menu = last_message(bot, alice.id)
    await bot.say(alice, "so luong dai bieu du hoi nghi", reply_to=menu["message_id"])
    assert "60 đại biểu" in bot.last_text(alice.id)


async def test_relay_is_in_the_askers_language(bot: Harness, bob: StubUser) -> None:
    await ask_unanswerable(bot, bob, "what is the price of a plane ticket to Hanoi")
    await bot.press(bob, "kb:office")
    assert bot.last_text(bob.id) == bot.t(
        "kb.office.sent", "en", id=1, question="what is the price of a plane ticket to Hanoi"
    )
    await bot.say(StubUser(ADMIN_ID), "/reply 1 Không có quy định về việc này.")
    relay = bot.last_text(bob.id)
    assert relay.startswith("💬 <b>The Department's Office has answered your question</b>")
    assert "Không có quy định về việc này." in relay


async def test_nobody_to_send_to_keeps_the_question(tmp_path: Path, alice: StubUser) -> None:
    bot = await Harness(make_settings(tmp_path, admin_ids="")).start()
    try:
        await ask_unanswerable(bot, alice)
        await bot.press(alice, "kb:office")
        assert bot.last_text(alice.id) == bot.t("kb.office.saved_only", id=1, question=OUT_OF_SCOPE)
        assert [q.question for q in await bot.services.knowledge.unanswered()] == [OUT_OF_SCOPE]
    finally:
        await bot.stop()


# --- /reply and /questions -------------------------------------------------------------------


async def test_reply_command(bot: Harness, alice: StubUser, admin: StubUser) -> None:
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    await bot.say(admin, "/reply abc")
    assert bot.last_text(admin.id) == bot.t("kb.office.reply_usage")
    await bot.say(admin, "/reply 99 Có.")
    assert bot.last_text(admin.id) == bot.t("kb.office.unknown", id=99)
    await bot.say(admin, "/reply 1 Dòng một\nDòng <hai>")
    assert "Dòng một\nDòng &lt;hai&gt;" in bot.last_text(alice.id)
    assert bot.last_text(admin.id).startswith(bot.t("kb.office.relayed", id=1, name="Lan Nguyễn"))
    await bot.press(admin, "kb:faq:1")
    entries = await bot.services.knowledge.faq_entries()
    assert [e.answer for e in entries] == ["Dòng một\nDòng <hai>"]


async def test_a_long_answer_reaches_the_asker_in_parts(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    """The question above a 4,000-character answer makes one message too long for Telegram:
    it goes in parts, and the office is told it was delivered."""
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    answer = ("Trả lời chi tiết & đầy đủ. " * 160)[:4000].strip()
    mark = len(bot.stub.calls)
    await bot.say(admin, f"/reply 1 {answer}")
    assert bot.last_text(admin.id).startswith(bot.t("kb.office.relayed", id=1, name="Lan Nguyễn"))
    parts = [
        telegram_html.parse(str(c.params["text"]))
        for c in bot.stub.calls[mark:]
        if c.method == "sendMessage" and c.params.get("chat_id") == alice.id
    ]
    assert len(parts) >= 2 and all(len(p) <= 4096 for p in parts)
    assert parts[0].startswith("💬")
    assert answer[-300:] in parts[-1]
    assert "".join(parts).replace("\n", "").replace(" ", "").count("đầyđủ") == answer.count(
        "đầy đủ"
    )
    # Too long to be a curated entry (shown whole, in one message): not offered, not saved.
    told = bot.t("kb.office.faq_too_long", limit=3000)
    assert bot.last_text(admin.id).endswith(told)
    last = max((k for k in bot.stub.messages if k[0] == admin.id), key=lambda k: k[1])
    confirmation = bot.stub.messages[last]
    assert "reply_markup" not in confirmation  # no «Lưu» button
    await bot.press(admin, "kb:faq:1", message=confirmation)  # forged, or an older build's
    assert bot.last_text(admin.id) == told
    assert await bot.services.knowledge.faq_entries() == []


async def test_a_curated_answer_is_shown_whole(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    answer = ("Hồ sơ gửi Văn phòng Sở trước ngày 15 hằng tháng. " * 70)[:3000].strip()
    await bot.services.knowledge.add_faq("Hồ sơ gửi đâu?", answer, "Văn phòng Sở", admin.id)
    await register(bot, alice, "Nguyễn Thị Lan")
    await bot.say(alice, "Hồ sơ gửi đâu?")
    shown = telegram_html.parse(bot.last_text(alice.id))
    assert answer in shown and len(shown) <= 4096


@pytest.mark.parametrize("typed", ["1", "lưu", "Lưu thành câu hỏi thường gặp"])
async def test_save_as_faq_typed_right_after_the_confirmation(
    bot: Harness, alice: StubUser, admin: StubUser, typed: str
) -> None:
    """In a private chat the button's number or label, typed right after, saves the entry (a
    "1" used to open the initiative form: the main menu's 1st item)."""
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    await bot.say(admin, "/reply 1 Anh/chị liên hệ phòng Kế hoạch.")
    await bot.say(admin, typed)
    assert bot.last_text(admin.id).startswith(
        bot.t("kb.office.faq_saved", id=1, question="", answer="").split("(")[0]
    )
    assert len(await bot.services.knowledge.faq_entries()) == 1
    assert await bot.db_value("SELECT count(*) FROM drafts WHERE user_id = ?", admin.id) == 0
    await bot.say(admin, "1")  # the screen is over: the main menu's again
    assert len(await bot.services.knowledge.faq_entries()) == 1


@pytest.mark.parametrize("typed", ["không lưu", "đừng lưu", "bỏ qua"])
async def test_not_saved_as_faq_typed_right_after_the_confirmation(
    bot: Harness, alice: StubUser, admin: StubUser, typed: str
) -> None:
    """«không lưu» answers "save as FAQ?": said, not sent to the rules Q&A."""
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    await bot.say(admin, "/reply 1 Anh/chị liên hệ phòng Kế hoạch.")
    await bot.say(admin, typed)
    assert bot.last_text(admin.id) == bot.t("kb.office.not_saved")
    assert await bot.services.knowledge.faq_entries() == []


async def test_questions_lists_the_unanswered_ones(
    bot: Harness, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await bot.say(admin, "/questions")
    assert bot.last_text(admin.id) == bot.t("kb.office.questions_none")
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    await ask_unanswerable(bot, bob, "what is the <price> of a plane ticket to Hanoi")
    await bot.press(bob, "kb:office")
    await bot.say(admin, "/questions")
    text = bot.last_text(admin.id)
    assert text.startswith(bot.t("kb.office.questions_title", count=2))
    assert "<b>#1</b>" in text and "<b>#2</b>" in text and "&lt;price&gt;" in text
    await bot.say(admin, "/reply 1 Đã có trong kế hoạch.")
    await bot.say(admin, "/questions")
    text = bot.last_text(admin.id)
    assert "<b>#1</b>" not in text and "<b>#2</b>" in text


async def test_reply_guided_from_the_list_then_a_supplement(
    bot: Harness, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    """/reply alone lists the questions with a button each; a button (or the number typed)
    asks for the answer; a second /reply to an answered question sends a supplement, which
    the asker receives as such and which is kept after the answer (typed: asked first)."""
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    await ask_unanswerable(bot, bob, "what is the price of a plane ticket to Hanoi")
    await bot.press(bob, "kb:office")
    await bot.say(admin, "/reply")
    assert bot.last_text(admin.id).startswith(bot.t("kb.office.questions_title", count=2))
    assert [data for _, data in bot.buttons(admin.id)] == ["kb:ans:1", "kb:ans:2"]
    await bot.say(admin, "2")  # the question's number, typed right after the list
    assert await bot.state(admin, "office_reply") == "answer"
    asked = bot.last_text(admin.id)
    assert asked.startswith("✍️ Mời anh/chị gõ câu trả lời cho câu hỏi số 2")
    await bot.say(admin, "   ")  # nothing typed: the step stays
    assert await bot.state(admin, "office_reply") == "answer"
    await bot.say(admin, "/help")
    assert bot.last_text(admin.id) == asked  # asked again
    await bot.say(admin, "Không có quy định <này>.")
    assert await bot.state(admin, "office_reply") is None
    assert "Không có quy định &lt;này&gt;." in bot.last_text(bob.id)
    assert bot.last_text(admin.id).startswith(bot.t("kb.office.relayed", id=2, name="Bob"))
    await bot.say(admin, "/questions")
    await bot.tap(admin, "kb:ans:1")  # the button
    await bot.say(admin, "Liên hệ phòng Kế hoạch.")
    assert "Liên hệ phòng Kế hoạch." in bot.last_text(alice.id)
    # A correction: /reply with the number asks for it, showing what was sent.
    await bot.say(admin, "/reply 1")
    assert "Câu trả lời đã gửi:\nLiên hệ phòng Kế hoạch." in bot.last_text(admin.id)
    await bot.say(admin, "Xin đính chính: liên hệ phòng Quản lý khoa học.")
    relay = bot.last_text(alice.id)
    assert relay.startswith("💬 <b>Văn phòng Sở bổ sung câu trả lời")
    assert "Xin đính chính: liên hệ phòng Quản lý khoa học." in relay
    assert "Liên hệ phòng Kế hoạch." not in relay  # only the supplement
    assert bot.last_text(admin.id) == bot.t("kb.office.more_sent", id=1, name="Lan Nguyễn")
    question = await bot.services.knowledge.question(1)
    assert question is not None and question.answer == (
        "Liên hệ phòng Kế hoạch.\n\nXin đính chính: liên hệ phòng Quản lý khoa học."
    )
    # Typed in one line before knowing it was answered: asked first; «không» sends nothing.
    mark = bot.mark()
    await bot.say(admin, "/reply 2 Giá vé do hãng bay quyết định.")
    assert await bot.state(admin, "office_reply") == "more"
    await bot.say(admin, "không")
    assert bot.last_text(admin.id) == bot.t("kb.office.more_kept")
    assert bot.texts_since(mark, bob.id) == []
    await bot.say(admin, "/reply 2 Giá vé do hãng bay quyết định.")
    await bot.tap(admin, "kb:more:yes")
    assert "Giá vé do hãng bay quyết định." in bot.last_text(bob.id)
    assert bot.last_text(bob.id).startswith("💬 <b>The Department's Office adds to its answer")
    assert await bot.state(admin, "office_reply") is None


async def test_a_supplement_to_a_saved_answer_says_the_entry_is_unchanged(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    await bot.say(admin, "/reply 1 Liên hệ phòng Kế hoạch.")
    await bot.say(admin, "lưu")
    (entry,) = await bot.services.knowledge.faq_entries()
    await bot.say(admin, "/reply 1")
    await bot.say(admin, "Bổ sung: gọi số 0221.3862.")
    texts = bot.texts(admin.id)
    assert texts[-1].endswith(bot.t("kb.office.more_faq", faq=entry.id))
    assert [e.answer for e in await bot.services.knowledge.faq_entries()] == [entry.answer]


async def test_office_group_commands(office_bot: Harness, alice: StubUser) -> None:
    bot = office_bot
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    await bot.say(StubUser(ADMIN_ID), "/questions", chat_id=OFFICE)
    assert bot.last_text(OFFICE).startswith(bot.t("kb.office.questions_title", count=1))
    await bot.say(MEMBER, "/reply 1 Không.", chat_id=OFFICE)  # a member, not an admin
    assert bot.last_text(OFFICE) == bot.t("admin.denied")
    await bot.say(StubUser(ADMIN_ID), "/reply 1 Không.", chat_id=OFFICE)
    assert "Không." in bot.last_text(alice.id)


@pytest.mark.parametrize(
    "command", ["/questions", "/reply 1 Có", "/faq_add", "/faq_add a | b | c", "/kb_add"]
)
async def test_admin_commands_refused_to_others(
    bot: Harness, alice: StubUser, command: str
) -> None:
    await bot.say(alice, command)
    assert bot.last_text(alice.id) == bot.t("admin.denied")
    assert await bot.state(alice, "faq_add") is None
    assert await bot.services.knowledge.faq_entries() == []


# --- /faq_add --------------------------------------------------------------------------------


async def test_faq_add_conversation(bot: Harness, admin: StubUser, alice: StubUser) -> None:
    await bot.say(admin, "/faq_add")
    assert bot.last_text(admin.id) == bot.t("kb.faq.ask_question")
    assert await bot.state(admin, "faq_add") == "question"
    await bot.say(admin, "Ai ký giấy khen cho cá nhân?")
    assert bot.last_text(admin.id) == bot.t("kb.faq.ask_answer")
    await bot.say(admin, "Giám đốc Sở ký giấy khen.")
    assert bot.last_text(admin.id) == bot.t("kb.faq.ask_source")
    await bot.say(admin, "Văn phòng Sở")
    assert bot.last_text(admin.id).startswith("⭐")
    assert await bot.state(admin, "faq_add") is None
    await bot.say(alice, "ai ky giay khen cho ca nhan")
    text = bot.last_text(alice.id)
    assert text.startswith(bot.t("kb.faq_header")) and "Giám đốc Sở ký giấy khen." in text
    assert bot.t("kb.faq_source", source="Văn phòng Sở") in text


@pytest.mark.parametrize("skip", ["bỏ qua", "/boqua", "faq:skip", "1"])
async def test_faq_add_source_skipped_is_the_office(
    bot: Harness, admin: StubUser, skip: str
) -> None:
    """The source is optional: skipped (typed, /boqua, the button or its number), it is the
    office, never the words "bỏ qua"."""
    await bot.say(admin, "/faq_add")
    await bot.say(admin, "Ai ký giấy khen cho cá nhân?")
    await bot.say(admin, "Giám đốc Sở ký giấy khen.")
    assert bot.buttons(admin.id) == [(bot.t("kb.faq.skip"), "faq:skip")]
    if skip.startswith("faq:"):
        await bot.press(admin, skip)
    else:
        await bot.say(admin, skip)
    assert await bot.state(admin, "faq_add") is None
    (entry,) = await bot.services.knowledge.faq_entries()
    assert entry.source == "Văn phòng Sở"


async def test_faq_add_one_line_cancel_and_bad_forms(bot: Harness, admin: StubUser) -> None:
    await bot.say(admin, "/faq_add Hội nghị ở đâu? | Tại Hội trường Sở. | Văn phòng Sở")
    assert [e.question for e in await bot.services.knowledge.faq_entries()] == ["Hội nghị ở đâu?"]
    await bot.say(admin, "/faq_add chỉ có câu hỏi | ")
    assert bot.last_text(admin.id) == bot.t("kb.faq.usage")
    await bot.say(admin, "/faq_add")
    await bot.say(admin, "Câu hỏi tạm")
    await bot.say(admin, "/cancel")
    assert bot.last_text(admin.id) == bot.t("flow.cancelled")
    assert await bot.state(admin, "faq_add") is None
    assert len(await bot.services.knowledge.faq_entries()) == 1


# --- /kb_add -----------------------------------------------------------------------------------


class Files:
    """``getFile`` and file downloads for the stub Bot API (it has neither)."""

    def __init__(self, stub: BotAPIStub, monkeypatch: pytest.MonkeyPatch) -> None:
        self.contents: dict[str, bytes] = {}
        self.downloads: list[str] = []
        original = stub._result

        def result(method: str, params: JSON) -> Any:
            if method == "getFile":
                file_id = str(params["file_id"])
                return {
                    "file_id": file_id,
                    "file_unique_id": f"u-{file_id}",
                    "file_size": len(self.contents[file_id]),
                    "file_path": f"documents/{file_id}",
                }
            return original(method, params)

        async def retrieve(request: StubRequest, url: str, *args: Any, **kwargs: Any) -> bytes:
            file_id = url.rsplit("/", 1)[-1]
            self.downloads.append(file_id)
            return self.contents[file_id]

        monkeypatch.setattr(stub, "_result", result)
        monkeypatch.setattr(StubRequest, "retrieve", retrieve)

    def document(self, name: str, data: bytes, *, size: int | None = None) -> JSON:
        file_id = f"f{len(self.contents) + 1}"
        self.contents[file_id] = data
        return {
            "document": {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_name": name,
                "file_size": len(data) if size is None else size,
            },
            "caption": "/kb_add",
            "caption_entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        }


async def document_ids(bot: Harness) -> list[str]:
    return [d.id for d in await bot.services.knowledge.documents()]


async def test_admin_adds_a_document_searchable_at_once(
    bot: Harness, admin: StubUser, alice: StubUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = Files(bot.stub, monkeypatch)
    await bot.send_raw(admin, files.document("quy-che-sang-kien.txt", REGULATION.encode()))
    text = bot.last_text(admin.id)
    counts = await bot.services.knowledge.section_counts()
    assert text == bot.t(
        "kb.doc.added",
        title="Quy chế Khen thưởng sáng kiến cải tiến kỹ thuật năm 2026",
        sections=counts["quy-che-sang-kien"],
    )
    await bot.say(alice, "mức thưởng mỗi sáng kiến là bao nhiêu")
    answer = bot.last_text(alice.id)
    assert "2.000.000 đồng" in answer and "<i>Quy chế 2026 › I.2 Mức thưởng</i>" in answer


async def test_kb_add_refusals_import_nothing(
    bot: Harness, admin: StubUser, alice: StubUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = Files(bot.stub, monkeypatch)
    before = await document_ids(bot)
    cases = [
        (files.document("big.pdf", b"%PDF", size=11 * 1024 * 1024), "kb.error.too_large"),
        (files.document("broken.pdf", b"not a pdf at all \x00\x01"), "kb.error.unreadable"),
        (files.document("broken.docx", b"PK\x03\x04 garbage"), "kb.error.unreadable"),
        (files.document("photo.jpg", b"\xff\xd8\xff"), "kb.error.unsupported"),
        (files.document("empty.txt", b"   \n "), "kb.error.empty"),
    ]
    for extra, key in cases:
        await bot.send_raw(admin, extra)
        assert bot.last_text(admin.id) == bot.t(key, limit=10), key
    assert files.downloads == ["f2", "f3", "f5"]  # too large or unsupported: not downloaded
    assert await document_ids(bot) == before
    # Not an admin: refused before anything is downloaded.
    await bot.send_raw(alice, files.document("quy-che.txt", REGULATION.encode()))
    assert bot.last_text(alice.id) == bot.t("admin.denied")
    assert await document_ids(bot) == before
    # /kb_add without a file explains how.
    await bot.say(admin, "/kb_add")
    assert bot.last_text(admin.id) == bot.t("kb.doc.how", limit=10)


async def test_download_failure_is_reported(
    bot: Harness, admin: StubUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = Files(bot.stub, monkeypatch)
    extra = files.document("quy-che.txt", REGULATION.encode())
    bot.stub.failures["getFile"] = [(400, "Bad Request: file is too big", None)]
    await bot.send_raw(admin, extra)
    assert bot.last_text(admin.id) == bot.t("kb.error.too_large", limit=10)
    bot.stub.failures["getFile"] = [(400, "Bad Request: wrong file_id", None)]
    await bot.send_raw(admin, extra)
    assert bot.last_text(admin.id) == bot.t("kb.error.download", limit=10)


async def test_faq_add_draft_lost_in_a_crash_asks_again(bot: Harness, admin: StubUser) -> None:
    await bot.say(admin, "/faq_add")
    await bot.say(admin, "Ai ký giấy khen?")
    assert bot.app is not None
    bot.app.user_data[admin.id].pop("faq_draft")  # as if the process died before the flush
    await bot.say(admin, "Giám đốc Sở.")
    assert bot.last_text(admin.id) == bot.t("kb.faq.ask_question")
    assert await bot.state(admin, "faq_add") == "question"


async def test_saved_answers_are_listed_and_removed(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    """A personal reply saved by a slip can be taken back: /faqs lists, /faq_remove removes."""
    await bot.say(admin, "/faqs")
    assert bot.last_text(admin.id) == bot.t("kb.faq.list_none")
    await ask_unanswerable(bot, alice)
    await bot.press(alice, "kb:office")
    await bot.say(admin, "/reply 1 Chị Lan gọi anh Minh 0912 345 678 nhé.")
    await bot.say(admin, "lưu")
    assert len(await bot.services.knowledge.faq_entries()) == 1
    await bot.say(admin, "/faqs")
    listed = bot.last_text(admin.id)
    assert listed.startswith(bot.t("kb.faq.list_title", count=1)) and "<b>1.</b>" in listed
    for usage in ("/faq_remove", "/faq_remove một", "/faq_remove 1 2"):
        await bot.say(admin, usage)
        assert bot.last_text(admin.id) == bot.t("kb.faq.remove_usage"), usage
    await bot.say(admin, "/faq_remove 7")
    assert bot.last_text(admin.id) == bot.t("kb.faq.remove_unknown", id=7)
    await bot.say(alice, "/faq_remove 1")  # not an admin
    assert bot.last_text(alice.id) == bot.t("admin.denied")
    await bot.say(admin, "/faq_remove #1")
    assert bot.last_text(admin.id) == bot.t("kb.faq.removed", id=1)
    assert await bot.services.knowledge.faq_entries() == []
    await bot.say(alice, OUT_OF_SCOPE)  # no longer answered by the personal reply
    assert "0912" not in bot.last_text(alice.id)
