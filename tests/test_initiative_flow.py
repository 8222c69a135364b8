"""The initiative form through the real application: every step, validations, edits, restarts,
idempotent submission and the receipt (.docx read back)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from docx import Document

from bot.domain.telegram_html import parse
from bot.i18n import Safe
from bot.tg.stub_api import StubUser
from tests.harness import Harness

CAMPAIGN_0 = "Phát huy sáng kiến, cải tiến kỹ thuật, giải pháp hữu ích"
STICKER = {  # a sticker as Telegram sends it: no text
    "file_id": "s",
    "file_unique_id": "s",
    "type": "regular",
    "width": 1,
    "height": 1,
    "is_animated": False,
    "is_video": False,
}


async def register(bot: Harness, user: StubUser, name: str = "Nguyễn Thị Lan") -> None:
    await bot.say(user, "/start")
    await bot.press(user, "pf:yes")
    await bot.say(user, name)
    await bot.say(user, "Phòng Quản lý khoa học")
    await bot.say(user, "Chuyên viên")
    await bot.press(user, "pf:skip")
    await bot.press(user, "pf:ok")
    assert await bot.db_value("SELECT registered_at FROM users WHERE user_id = ?", user.id)


# Items 4 to 6 of the form, answered briefly (domain, problem, first applied, description).
ITEMS_4_TO_6 = (
    "Cải cách hành chính",
    "Hồ sơ chậm",
    "1/3/2025",
    "Mô tả ngắn gọn của sáng kiến.",
    "/xong",
)


async def say_all(bot: Harness, user: StubUser, *texts: str) -> None:
    for text in texts:
        await bot.say(user, text)


async def state(bot: Harness, user: StubUser) -> object | None:
    return await bot.state(user, "initiative")


async def draft(bot: Harness, user: StubUser) -> dict[str, Any]:
    raw = await bot.db_value(
        "SELECT data FROM drafts WHERE user_id = ? AND flow = 'initiative'", user.id
    )
    return json.loads(raw) if raw else {}


async def fill_until_review(bot: Harness, user: StubUser, *, title: str) -> None:
    """The whole form with two co-authors, typed answers and buttons mixed."""
    await bot.say(user, "/sangkien")
    assert await state(bot, user) == "recipient"
    await bot.press(user, "sk:c:0")
    assert await state(bot, user) == "authors.birth_date"  # name, unit, position: from profile
    await bot.say(user, "15/8/1985")
    await bot.say(user, "Thạc sĩ quản lý công")
    assert await state(bot, user) == "authors.more"
    for name, born, share_place in (
        ("trần văn bình", "02-03-1980", "Văn phòng Sở"),
        ("Lê Thị Cúc", "1.12.1990", "Trung tâm Thông tin"),
    ):
        await bot.say(user, "1")  # typed number of "Thêm đồng tác giả"
        assert await state(bot, user) == "authors.full_name"
        await bot.say(user, name)
        await bot.say(user, born)
        await bot.say(user, share_place)
        await bot.say(user, "Chuyên viên")
        await bot.say(user, "Kỹ sư")
    await bot.press(user, "sk:done")
    assert await state(bot, user) == "shares"
    await bot.say(user, "50, 30, 20")
    assert await state(bot, user) == "title"
    await bot.say(user, title)
    await bot.say(user, "quản lý")  # typed label of a button
    assert await state(bot, user) == "campaign"
    await bot.say(user, "1")
    await bot.press(user, "sk:skip")  # investor
    await bot.say(user, "có")  # State funds: typed
    await bot.say(user, "Cải cách hành chính")
    await bot.say(user, "Hồ sơ <b>chậm</b> & thất lạc")
    await bot.say(user, "1/3/2025")
    assert await state(bot, user) == "description"
    await bot.say(user, "Phần một của mô tả: số hóa toàn bộ quy trình tiếp nhận hồ sơ.")
    await bot.say(user, "Phần hai: tra cứu trực tuyến, nhắc hạn tự động.")
    await bot.send_raw(
        user,
        {
            "document": {
                "file_id": "doc-A",
                "file_unique_id": "u-doc-A",
                "file_name": "so-do.pdf",
                "mime_type": "application/pdf",
                "file_size": 120_000,
            }
        },
    )
    await bot.say(user, "/xong")
    assert await state(bot, user) == "confidential"
    await bot.say(user, "Mã nguồn phần mềm")
    await bot.say(user, "Máy tính kết nối mạng")
    await bot.say(user, "Giảm 50% thời gian xử lý")
    await bot.press(user, "sk:skip")  # benefit_others
    assert await state(bot, user) == "appliers.more"
    await bot.press(user, "sk:add")
    await bot.say(user, "Phạm Văn Dũng")
    await bot.say(user, "20/10/1975")
    await bot.say(user, "Văn phòng Sở")
    await bot.say(user, "Chánh Văn phòng")
    await bot.say(user, "Cử nhân")
    await bot.say(user, "Áp dụng thử tại bộ phận một cửa")
    await bot.press(user, "sk:done")
    assert await state(bot, user) == "review"


async def test_happy_path_with_two_co_authors(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Phần mềm quản lý hồ sơ một cửa")
    review = bot.last_text(alice.id)
    assert "Hồ sơ &lt;b&gt;chậm&lt;/b&gt; &amp; thất lạc" in review  # echoed text escaped
    assert "Trần Văn Bình" in review and "50%" in review and "so-do.pdf" in review
    await bot.press(alice, "sk:submit")
    assert await state(bot, alice) == "commit"
    await bot.press(alice, "sk:commit")
    assert await state(bot, alice) is None
    row = await bot.db_row("SELECT * FROM initiatives")
    assert row is not None
    assert row["number"].startswith("SK-") and row["number"].endswith("-0001")
    assert row["status"] == "submitted" and row["submitter_id"] == alice.id
    assert row["unit"] == "Phòng Quản lý khoa học"
    content = json.loads(row["content"])
    assert [a["full_name"] for a in content["authors"]] == [
        "Nguyễn Thị Lan",
        "Trần Văn Bình",
        "Lê Thị Cúc",
    ]
    assert [a["share"] for a in content["authors"]] == [50, 30, 20]
    assert content["solution_type"] == "management"
    assert content["state_funds"] is True and content["investor"] is None
    assert content["first_applied"] == "2025-03-01"
    assert len(content["description"]["parts"]) == 2
    assert content["description"]["files"][0]["name"] == "so-do.pdf"
    assert content["appliers"][0]["task"] == "Áp dụng thử tại bộ phận một cửa"
    authors = await bot.db_value("SELECT count(*) FROM initiative_authors")
    assert authors == 3
    assert await bot.db_value("SELECT to_status FROM initiative_history") == "submitted"
    assert await draft(bot, alice) == {}
    # The receipt and the filled form.
    assert row["number"] in bot.texts(alice.id)[-2]
    sent = bot.stub.sent(alice.id, "sendDocument")[-1]
    assert sent.params["_filename"] == f"{row['number']}.docx"
    doc = Document(io.BytesIO(sent.params["_bytes"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "Phần mềm quản lý hồ sơ một cửa" in text
    assert "Trần Văn Bình" in cells and "02/03/1980" in cells
    assert "cam đoan" in text


async def test_double_tap_and_retried_update_create_one_record(
    bot: Harness, alice: StubUser
) -> None:
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Sổ tay điện tử cho cán bộ")
    await bot.press(alice, "sk:submit")
    message = bot.last_keyboard_message(alice.id)
    update = await bot.press(alice, "sk:commit", message=message)
    await bot.press(alice, "sk:commit", message=message)  # a second tap on the same button
    await bot.feed(update)  # Telegram delivers the first press again
    assert await bot.db_value("SELECT count(*) FROM initiatives") == 1
    assert len(bot.stub.sent(alice.id, "sendDocument")) == 1


async def test_restart_in_the_middle_keeps_every_answer(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:1")
    await bot.say(alice, "15/8/1985")
    await bot.restart()  # kill -9
    assert await state(bot, alice) == "authors.qualification"
    await bot.say(alice, "Kỹ sư")
    assert await state(bot, alice) == "authors.more"
    saved = await draft(bot, alice)
    assert saved["answers"]["recipient"].startswith("Hội đồng sáng kiến")
    assert saved["answers"]["authors"][0]["birth_date"] == "1985-08-15"
    # /cancel pauses; /sangkien resumes at the same step.
    await bot.say(alice, "/cancel")
    assert await state(bot, alice) is None
    assert bot.last_text(alice.id) == bot.t("initiative.paused")
    await bot.restart(crash=False)
    await bot.say(alice, "/sangkien")
    assert bot.t("initiative.resumed") in bot.texts(alice.id)
    assert await state(bot, alice) == "authors.more"
    # «thoát» typed pauses as /cancel does (it was an answer at a text step).
    await bot.say(alice, "thêm")
    assert await state(bot, alice) == "authors.full_name"
    await bot.say(alice, "Thoát")
    assert await state(bot, alice) is None
    assert bot.last_text(alice.id) == bot.t("initiative.paused")
    await bot.say(alice, "/sangkien")
    assert await state(bot, alice) == "authors.full_name"
    await bot.say(alice, "bỏ qua")  # no name
    assert bot.last_text(alice.id) == bot.t("error.required")
    # «Thêm» was a mistake: «quay lại» (or the button «Không thêm nữa») adds nobody.
    assert bot.buttons(alice.id) == [(bot.t("initiative.btn.not_adding"), "sk:back")]
    await bot.say(alice, "quay lại")
    assert await state(bot, alice) == "authors.more"
    assert bot.t("initiative.person_not_added") in bot.texts(alice.id)[-2]
    assert len((await draft(bot, alice))["answers"]["authors"]) == 1
    await bot.press(alice, "sk:add")
    mark = bot.mark()
    await bot.say(alice, "Trần Văn Bình")
    assert await state(bot, alice) == "authors.birth_date"
    (asked,) = [c for c in bot.stub.calls[mark:] if c.method == "sendMessage"]
    # A name typed: the way out says what it leaves out (a birth date nobody knows, qa18).
    assert asked.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": bot.t("initiative.btn.drop_person"), "callback_data": "sk:back"}]
        ]
    }


async def test_a_person_whose_details_are_not_known_is_left_out(
    bot: Harness, alice: StubUser
) -> None:
    """qa18: a co-author's birth date not known was a dead end (only a made-up date, or
    /xoanhap and the whole draft, got past it)."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    mark = bot.mark()
    await bot.press(alice, "sk:c:0")
    # The submitter's own items missing from the profile: no way to leave them out.
    assert await state(bot, alice) == "authors.birth_date"
    (asked,) = [c for c in bot.stub.calls[mark:] if c.method == "sendMessage"]
    assert not asked.params.get("reply_markup")
    await bot.say(alice, "khong nho")
    assert bot.last_text(alice.id) == bot.t("error.required")
    await bot.say(alice, "1/1/1980")
    await bot.say(alice, "Kỹ sư")
    await bot.press(alice, "sk:add")
    await bot.say(alice, "Le Van Cuong")
    assert await state(bot, alice) == "authors.birth_date"
    for typed in ("khong nho", "bỏ qua", "không biết ạ"):
        await bot.say(alice, typed)
        assert bot.last_text(alice.id) == bot.t("error.person_required")
        assert await state(bot, alice) == "authors.birth_date"
    assert (await draft(bot, alice))["person"]["data"] == {"full_name": "Le Van Cuong"}
    # /cancel and /sangkien: the same question, with its button.
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/sangkien")
    assert await state(bot, alice) == "authors.birth_date"
    assert bot.buttons(alice.id) == [(bot.t("initiative.btn.drop_person"), "sk:back")]
    await bot.say(alice, "không thêm")  # typed, or the button
    assert await state(bot, alice) == "authors.more"
    assert bot.t("initiative.person_dropped", name="Le Van Cuong") in bot.texts(alice.id)[-2]
    saved = await draft(bot, alice)
    assert "person" not in saved and len(saved["answers"]["authors"]) == 1
    # Pressed, at a later item of another one.
    await bot.press(alice, "sk:add")
    await bot.say(alice, "Phạm Thị Dung")
    await bot.say(alice, "2/2/1990")
    assert await state(bot, alice) == "authors.workplace"
    await bot.press(alice, "sk:back")
    assert bot.t("initiative.person_dropped", name="Phạm Thị Dung") in bot.texts(alice.id)[-2]
    assert await state(bot, alice) == "authors.more"
    assert len((await draft(bot, alice))["answers"]["authors"]) == 1


async def test_questions_carry_the_numbers_the_review_gives_their_items(
    bot: Harness, alice: StubUser
) -> None:
    """qa16: the questions said «Mục 5», «Mục 6» (the numbering of the issue, which the
    printed form does not have) while the review numbered the same items 11 and 12, so «sửa
    mục 6» there changed another item. Each question now says «Mục N/M» with the review's N."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    assert bot.last_text(alice.id).startswith(bot.t("initiative.step_of", n=1, total=17))
    await fill_until_review(bot, alice, title="Số hóa quy trình tiếp nhận hồ sơ")
    review = bot.last_text(alice.id)
    seen: dict[str, str] = {}
    for text in bot.texts(alice.id):
        first, _, rest = text.partition("\n")
        for n in range(1, 18):
            if first == bot.t("initiative.step_of", n=n, total=17):
                seen.setdefault(str(n), rest)
    assert sorted(seen, key=int) == [str(n) for n in range(1, 18)]  # every item was asked
    assert seen["12"].startswith(bot.t("initiative.ask.description")[:40])
    assert "<b>12. " + bot.t("initiative.field.description") + ":</b>" in review
    assert seen["11"] == bot.t("initiative.ask.first_applied")
    await bot.say(alice, "sửa mục 12")
    assert await state(bot, alice) == "description"
    assert bot.last_text(alice.id).startswith(bot.t("initiative.step_of", n=12, total=17))
    await bot.say(alice, "giữ nguyên")
    assert await state(bot, alice) == "review"


async def test_a_single_author_leaves_out_the_shares_and_their_number(
    bot: Harness, alice: StubUser
) -> None:
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    await bot.say(alice, "15/8/1985")
    await bot.say(alice, "Thạc sĩ quản lý công")
    assert bot.last_text(alice.id).startswith(bot.t("initiative.step_of", n=2, total=17))
    await bot.press(alice, "sk:done")  # nobody else: no shares to ask
    assert await state(bot, alice) == "title"
    assert bot.last_text(alice.id) == (
        bot.t("initiative.step_of", n=3, total=16) + "\n" + bot.t("initiative.ask.title")
    )


async def test_a_date_or_an_assent_is_no_answer_to_a_text_item(
    bot: Harness, alice: StubUser
) -> None:
    """qa16: a birth date typed again at «Trình độ chuyên môn» was saved as the qualification;
    «đồng ý» at the description got «Mục này bắt buộc, không bỏ qua được» (nobody skipped)."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    await bot.say(alice, "15/8/1985")
    assert await state(bot, alice) == "authors.qualification"
    mark = bot.mark()
    await bot.say(alice, "20/10/1990")
    replies = bot.texts_since(mark, alice.id)
    assert replies[0] == bot.t("error.date_not_here", text="20/10/1990")
    assert bot.t("initiative.ask.person.qualification") in replies[-1]  # asked again
    assert await state(bot, alice) == "authors.qualification"
    await bot.say(alice, "Kỹ sư công nghệ thông tin")
    assert await state(bot, alice) == "authors.more"
    await bot.press(alice, "sk:done")
    await bot.say(alice, "đồng ý")  # at the title
    assert bot.last_text(alice.id) == bot.t("error.not_an_answer", text="đồng ý")
    await bot.say(alice, "bỏ qua")  # that one skips: it cannot
    assert bot.last_text(alice.id) == bot.t("error.required")
    assert await state(bot, alice) == "title"


async def test_a_profile_changed_meanwhile_reaches_the_draft(bot: Harness, alice: StubUser) -> None:
    """qa16: a person who moved to another unit (/profile) while a draft waited still had the
    old unit as their workplace in it. The submitter's items still as the old profile had them
    follow the new one, and the person is told; one they typed differently stays."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    await bot.say(alice, "15/8/1985")
    await bot.say(alice, "Thạc sĩ")
    assert await state(bot, alice) == "authors.more"
    old_unit = (await draft(bot, alice))["answers"]["authors"][0]["workplace"]
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/profile")
    await bot.say(alice, "sửa chức vụ")
    await bot.say(alice, "Phó Chánh Văn phòng")
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/sangkien")
    me = (await draft(bot, alice))["answers"]["authors"][0]
    assert me["position"] == "Phó Chánh Văn phòng" and me["workplace"] == old_unit
    label = bot.t("export.col.position")
    assert bot.t("initiative.profile_applied", items=f"{label}: Phó Chánh Văn phòng") in (
        bot.texts(alice.id)
    )
    assert await state(bot, alice) == "authors.more"
    await bot.say(alice, "/sangkien")  # nothing changed since: nothing said
    assert not bot.last_text(alice.id).startswith(
        bot.t("initiative.profile_applied", items="")[:20]
    )


def test_refresh_me_keeps_what_was_typed_differently() -> None:
    from bot.domain.initiative import new_draft, refresh_me

    draft = new_draft({"full_name": "Trần Thị Hoa", "unit": "Sở A", "position": "Chuyên viên"})
    draft["answers"]["authors"] = [
        {"full_name": "Trần Thị Hoa", "workplace": "Sở A", "position": "Kỹ sư trưởng"}
    ]
    new = {"full_name": "Trần Thị Hoa", "unit": "Sở B", "position": "Trưởng phòng"}
    assert refresh_me(draft, new) == ["workplace"]
    assert draft["answers"]["authors"][0] == {
        "full_name": "Trần Thị Hoa",
        "workplace": "Sở B",
        "position": "Kỹ sư trưởng",
    }
    assert refresh_me(draft, new) == []  # once
    assert refresh_me({"answers": {}}, new) == []  # an amendment: no copy of the profile


async def test_validations_keep_the_step(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    # The first author's questions say whose they are: the submitter's, named from the profile.
    header = bot.t("initiative.person_header.you", name="Nguyễn Thị Lan")
    step = bot.t("initiative.step_of", n=2, total=17)  # «Mục 2/17»: the review's «2. Tác giả»
    assert bot.last_text(alice.id).startswith(f"{step}\n{header}\n")
    for bad, key, params in (
        ("32/1/1990", "error.date_invalid", {}),
        ("tuần trước", "error.date_format", {}),
        ("hôm qua", "error.birth_date_range", {}),  # a day, but no one's birthday here
        ("03/25/1990", "error.date_day_first", {"example": "25/3/1990"}),
        ("1/1/2099", "error.date_future", {}),
    ):
        await bot.say(alice, bad)
        assert bot.last_text(alice.id) == bot.t(key, **params)
        assert await state(bot, alice) == "authors.birth_date"
    await bot.send_raw(alice, {"sticker": STICKER})
    assert await state(bot, alice) == "authors.birth_date"
    # «Có phải … 25/3/1990?»: «đúng» then takes that date; anything said before does not.
    await bot.say(alice, "03/25/1990")
    await bot.say(alice, "tuần trước")
    await bot.say(alice, "đúng")
    assert await state(bot, alice) == "authors.birth_date"
    await bot.say(alice, "03/25/1990")
    await bot.say(alice, "dạ đúng rồi ạ")
    assert await state(bot, alice) == "authors.qualification"
    assert (await draft(bot, alice))["person"]["data"]["birth_date"] == "1990-03-25"
    await bot.say(alice, "Kỹ sư")
    await bot.press(alice, "sk:add")
    await bot.say(alice, "Trần Bình")
    await bot.say(alice, "1/1/1981")
    await bot.say(alice, "Văn phòng Sở")
    await bot.say(alice, "Chuyên viên")
    await bot.say(alice, "Cử nhân")
    await bot.press(alice, "sk:done")
    for bad, key, params in (
        ("năm mươi, năm mươi", "error.shares_number", {}),
        ("60 30", "error.shares_sum", {"total": "90"}),
        ("60,5 30", "error.shares_sum", {"total": "90,5"}),  # a decimal comma, as typed
        ("100", "error.shares_count", {"count": 2, "given": 1}),
        ("120 -20", "error.shares_number", {}),
    ):
        await bot.say(alice, bad)
        assert bot.last_text(alice.id) == bot.t(key, **params), bad
        assert await state(bot, alice) == "shares"
    await bot.say(alice, "60,5; 39,5")
    assert await state(bot, alice) == "title"
    assert (await draft(bot, alice))["answers"]["shares"] == [60.5, 39.5]
    await bot.say(alice, "x" * 301)
    assert bot.last_text(alice.id) == bot.t("error.too_long", limit=300, length=301)
    for bad, key, params in (
        ("👍👍👍👍", "error.text_no_words", {}),  # long enough, but no word in it
        ("...", "error.text_no_words", {}),
        ("Abc", "error.text_short_min", {"minimum": 5}),
    ):
        await bot.say(alice, bad)
        assert bot.last_text(alice.id) == bot.t(key, **params), bad
        assert await state(bot, alice) == "title"
    await bot.send_raw(
        alice, {"photo": [{"file_id": "p", "file_unique_id": "p1", "width": 1, "height": 1}]}
    )
    assert bot.last_text(alice.id) == bot.t("error.file_not_here")
    assert await state(bot, alice) == "title"
    await bot.press(alice, "sk:c:0")  # a stale button from an earlier step
    assert bot.t("error.stale_choice") in bot.texts(alice.id)
    assert await state(bot, alice) == "title"
    await bot.say(alice, "Tên sáng kiến hợp lệ")
    assert await state(bot, alice) == "solution_type"
    await bot.say(alice, "giải pháp gì đó")
    assert bot.t("error.choose_button") in bot.texts(alice.id)
    assert await state(bot, alice) == "solution_type"


async def test_description_limits(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    form = bot.services.initiatives.form
    limits = form.limits
    await bot.say(alice, "/sangkien")
    draft_now = await draft(bot, alice)
    draft_now["answers"] = {"recipient": "Sở", "title": "Tên", "solution_type": "technical"}
    # Jump to the description step: fill everything before it through the service engine.
    from bot.domain import initiative as engine

    answers = {
        "recipient": "Sở Khoa học và Công nghệ",
        "authors": [
            {
                "full_name": "Nguyễn Thị Lan",
                "birth_date": "1985-08-15",
                "workplace": "Văn phòng Sở",
                "position": "Chuyên viên",
                "qualification": "Kỹ sư",
                "share": 100.0,
            }
        ],
        "shares": [100.0],
        "title": "Tên sáng kiến",
        "solution_type": "technical",
        "campaign": "Khác",
        "investor": None,
        "state_funds": False,
        "domain": "Hành chính",
        "problem": "Chậm",
        "first_applied": "2025-01-01",
    }
    new = {**draft_now, "answers": answers, "closed": ["authors"]}
    async with bot.services.db.transaction() as conn:
        from storage import flows as flow_sql

        await flow_sql.put_draft(conn, alice.id, "initiative", new)
    assert engine.next_state(form, new) == "description"
    await bot.restart()
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:done")  # nothing typed yet
    assert bot.t("error.long_empty") in bot.texts(alice.id)
    for bad, key in (("   ", "error.expect_text_or_file"), ("👍 !", "error.text_no_words")):
        await bot.say(alice, bad)
        assert bot.last_text(alice.id) == bot.t(key), bad
    assert (await draft(bot, alice))["answers"].get("description", {}).get("parts", []) == []
    big = {
        "document": {
            "file_id": "big",
            "file_unique_id": "u-big",
            "file_name": "video.mp4",
            "file_size": (limits.max_file_mb + 1) * 1024 * 1024,
        }
    }
    await bot.send_raw(alice, big)
    assert bot.last_text(alice.id) == bot.t("error.file_too_large", limit=limits.max_file_mb)
    # A caption is typed text: it goes into the description, after the file
    photo = [{"file_id": "p", "file_unique_id": "up", "width": 9, "height": 9}]
    await bot.send_raw(alice, {"photo": photo, "caption": " Bước 1: sơ đồ <quy trình> "})
    assert bot.last_text(alice.id) == bot.t(
        "initiative.file_caption_saved",
        name="IMG-up.jpg",
        count=1,
        limit=limits.max_attachments,
        chars=25,
    )
    described = (await draft(bot, alice))["answers"]["description"]
    assert described["parts"] == ["Bước 1: sơ đồ <quy trình>"]
    assert [f["file_unique_id"] for f in described["files"]] == ["up"]
    for i in range(limits.max_attachments - 1):
        doc = {"document": {"file_id": f"f{i}", "file_unique_id": f"u{i}", "file_name": f"{i}.pdf"}}
        await bot.send_raw(alice, {**doc, "caption": "👍"} if i == 0 else doc)
    described = (await draft(bot, alice))["answers"]["description"]
    assert described["parts"] == ["Bước 1: sơ đồ <quy trình>"]  # «👍» is not a part
    await bot.send_raw(
        alice, {"document": {"file_id": "x", "file_unique_id": "ux", "file_name": "x"}}
    )
    assert bot.last_text(alice.id) == bot.t("error.files_too_many", limit=limits.max_attachments)
    await bot.say(alice, "a" * (limits.long_max_chars + 1))
    assert bot.last_text(alice.id) == bot.t(
        "error.long_too_long", limit=limits.long_max_chars, used=25
    )
    await bot.say(alice, "Mô tả đủ dài về giải pháp và các bước thực hiện cụ thể.")
    await bot.say(alice, "xong")
    assert await state(bot, alice) == "confidential"
    saved = await draft(bot, alice)
    assert len(saved["answers"]["description"]["files"]) == limits.max_attachments


async def to_the_description(bot: Harness, alice: StubUser) -> None:
    """Registered, the form filled up to the description (the only author), typed."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    for typed in ("15/8/1985", "Thạc sĩ quản lý công"):
        await bot.say(alice, typed)
    await bot.press(alice, "sk:done")  # the only author: no shares asked
    for typed in ("Số hóa hồ sơ một cửa", "quản lý", "1", "/boqua", "có", "Hành chính"):
        await bot.say(alice, typed)
    for typed in ("Hồ sơ chậm", "1/3/2025"):
        await bot.say(alice, typed)
    assert await state(bot, alice) == "description"


async def test_a_short_description_says_how_much_is_missing(bot: Harness, alice: StubUser) -> None:
    """qa18: «còn quá ngắn» alone left people guessing how much more to type."""
    await to_the_description(bot, alice)
    minimum = bot.services.initiatives.form.field("description").min * 10
    await bot.say(alice, "Mo ta ngan")
    await bot.say(alice, "/xong")
    assert bot.last_text(alice.id) == bot.t("error.long_short", minimum=minimum, length=10)
    assert await state(bot, alice) == "description"
    await bot.say(alice, "Thêm một câu nữa cho đủ dài.")
    await bot.say(alice, "/xong")
    assert await state(bot, alice) == "confidential"


async def test_description_sent_as_a_file_alone_asks_for_a_typed_summary(
    bot: Harness, alice: StubUser
) -> None:
    """Many have the description in a Word file already: the file is kept, and the person is
    told, at once and again at «Xong», that the form still prints a typed description."""
    limits = bot.services.initiatives.form.limits
    await to_the_description(bot, alice)
    word = {"document": {"file_id": "d", "file_unique_id": "ud", "file_name": "Mô tả SK.docx"}}
    await bot.send_raw(alice, word)
    assert bot.last_text(alice.id) == bot.t(
        "initiative.file_saved_no_text", name="Mô tả SK.docx", count=1, limit=limits.max_attachments
    )
    await bot.press(alice, "sk:done")
    assert bot.last_text(alice.id).startswith(bot.t("error.long_files_only"))
    assert await state(bot, alice) == "description"
    await bot.say(alice, "Số hóa quy trình tiếp nhận hồ sơ: quét mã, tra cứu trực tuyến.")
    await bot.press(alice, "sk:done")
    assert await state(bot, alice) == "confidential"
    described = (await draft(bot, alice))["answers"]["description"]
    assert [f["name"] for f in described["files"]] == ["Mô tả SK.docx"]
    # From the review screen, a new file alone keeps the text already there: no such notice.
    for typed in ("/boqua", "Máy tính kết nối mạng", "Giảm 50% thời gian xử lý", "/boqua"):
        await bot.say(alice, typed)
    await bot.press(alice, "sk:done")  # nobody applied it yet
    assert await state(bot, alice) == "review"
    await bot.press(alice, "sk:edit:description")
    pdf = {"document": {"file_id": "p", "file_unique_id": "up", "file_name": "Sơ đồ.pdf"}}
    await bot.send_raw(alice, pdf)
    assert bot.last_text(alice.id) == bot.t(
        "initiative.file_saved", name="Sơ đồ.pdf", count=2, limit=limits.max_attachments
    )


async def test_edit_from_review(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Tên ban đầu của sáng kiến")
    edits = [data for _, data in bot.buttons(alice.id) if data.startswith("sk:edit:")]
    number = edits.index("sk:edit:title") + 1
    await bot.say(alice, str(number))  # the typed number of ✏️ N
    assert await state(bot, alice) == "title"
    assert "Tên ban đầu của sáng kiến" in bot.last_text(alice.id)  # current value shown
    await bot.say(alice, "Tên mới của sáng kiến")
    assert await state(bot, alice) == "review"
    assert "Tên mới của sáng kiến" in bot.last_text(alice.id)
    # Authors: remove the third one; the shares are asked again, then back to the review.
    await bot.press(alice, "sk:edit:authors")
    assert await state(bot, alice) == "authors.more"
    await bot.say(alice, "xóa 3")
    assert bot.t("initiative.person_removed", name="Lê Thị Cúc") in bot.texts(alice.id)
    await bot.press(alice, "sk:done")
    assert await state(bot, alice) == "shares"
    await bot.say(alice, "70 30")
    assert await state(bot, alice) == "review"
    # The description: "Xong" without new text keeps the old one.
    await bot.press(alice, "sk:edit:description")
    await bot.press(alice, "sk:done")
    assert await state(bot, alice) == "review"
    saved = await draft(bot, alice)
    assert saved["answers"]["title"] == "Tên mới của sáng kiến"
    assert [a["share"] for a in saved["answers"]["authors"]] == [70, 30]
    assert len(saved["answers"]["description"]["parts"]) == 2
    # The commitment's "Quay lại" returns to the review.
    await bot.say(alice, "gửi đơn")
    assert await state(bot, alice) == "commit"
    await bot.say(alice, "quay lại")
    assert await state(bot, alice) == "review"
    await bot.press(alice, "sk:discard")
    assert await state(bot, alice) == "discard"  # asks first
    await bot.say(alice, "2")  # "Quay lại"
    assert await state(bot, alice) == "review"
    await bot.press(alice, "sk:discard")
    await bot.press(alice, "sk:discard_yes")
    assert await state(bot, alice) is None
    assert await draft(bot, alice) == {}


async def test_changing_the_description_adds_to_it(bot: Harness, alice: StubUser) -> None:
    """qa16 B1: from the review, what is sent for the description is added at its end (a
    photo's caption too), never in place of it; «Viết lại từ đầu» replaces it, «Xong» with
    nothing new after that keeps the old text, «Giữ nguyên» drops what was added."""
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Phần mềm quản lý hồ sơ một cửa")
    old = (await draft(bot, alice))["answers"]["description"]["parts"]
    assert len(old) == 2
    await bot.press(alice, "sk:edit:description")
    asked = bot.last_text(alice.id)
    assert bot.t("initiative.long_edit_hint") in asked and old[0] in asked
    assert [d for _, d in bot.buttons(alice.id)] == ["sk:done", "sk:rewrite", "sk:keep"]
    await bot.say(alice, "Phần ba: kết quả sau sáu tháng áp dụng thử.")
    photo = [{"file_id": "p", "file_unique_id": "up", "width": 9, "height": 9}]
    await bot.send_raw(alice, {"photo": photo, "caption": "Ảnh chụp bảng tổng hợp"})
    await bot.say(alice, "xong")
    assert await state(bot, alice) == "review"
    described = (await draft(bot, alice))["answers"]["description"]
    assert described["parts"] == [
        *old,
        "Phần ba: kết quả sau sáu tháng áp dụng thử.",
        "Ảnh chụp bảng tổng hợp",
    ]
    assert len(described["files"]) == 2
    # «Giữ nguyên» after adding: what was added is dropped, and said.
    await bot.press(alice, "sk:edit:description")
    await bot.say(alice, "Một đoạn thêm nhầm vào phần mô tả.")
    await bot.say(alice, "giữ nguyên")
    assert bot.t("initiative.kept_old", count=1) in bot.texts(alice.id)
    assert (await draft(bot, alice))["answers"]["description"] == described
    # «Viết lại từ đầu», then nothing typed: «Xong» keeps the old text.
    await bot.press(alice, "sk:edit:description")
    await bot.say(alice, "viết lại từ đầu")
    assert bot.last_text(alice.id) == bot.t("initiative.long_rewrite")
    await bot.press(alice, "sk:done")
    assert (await draft(bot, alice))["answers"]["description"]["parts"] == described["parts"]
    # Rewritten: the new text alone, the files kept.
    await bot.press(alice, "sk:edit:description")
    await bot.say(alice, "2")  # the typed number of «Viết lại từ đầu»
    await bot.say(alice, "Mô tả mới hoàn toàn: số hóa quy trình một cửa.")
    await bot.say(alice, "/xong")
    rewritten = (await draft(bot, alice))["answers"]["description"]
    assert rewritten["parts"] == ["Mô tả mới hoàn toàn: số hóa quy trình một cửa."]
    assert rewritten["files"] == described["files"]
    # qa16 B3: the list of a choice changed from the review has no «None» line for «Giữ nguyên».
    await bot.press(alice, "sk:edit:recipient")
    listed = bot.last_text(alice.id)
    last = bot.services.initiatives.form.options["recipient"][-1]
    assert "None" not in listed and f"\n{len(bot.buttons(alice.id)) - 1}. {last}\n" in listed


async def test_correcting_a_person_s_details(bot: Harness, alice: StubUser) -> None:
    """qa16 B2: a typo in anyone's details, the submitter's own included, is corrected from
    the list (✏️, or «sửa 3» typed): each item asked again with its current value, «Giữ
    nguyên» keeping it; the shares stay, and the review comes back."""
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Phần mềm quản lý hồ sơ một cửa")
    before = (await draft(bot, alice))["answers"]["authors"]
    await bot.press(alice, "sk:edit:authors")
    assert await state(bot, alice) == "authors.more"
    assert bot.t("initiative.edit_hint") in bot.last_text(alice.id)
    data = [d for _, d in bot.buttons(alice.id)]
    assert data[:2] == ["sk:add", "sk:done"] and "sk:ed:0" in data and "sk:rm:0" not in data
    await bot.press(alice, "sk:ed:0")  # the submitter
    assert await state(bot, alice) == "authors.full_name"
    assert bot.t("initiative.current", value=before[0]["full_name"]) in bot.last_text(alice.id)
    assert [d for _, d in bot.buttons(alice.id)] == ["sk:keep"]
    await bot.say(alice, "giữ nguyên")
    assert await state(bot, alice) == "authors.birth_date"
    assert "15/08/1985" in bot.last_text(alice.id)
    await bot.say(alice, "16/8/1985")
    for _ in range(2):  # workplace, position
        await bot.press(alice, "sk:keep")
    await bot.say(alice, "Tiến sĩ quản lý công")
    assert bot.t("initiative.person_updated", name=before[0]["full_name"]) in bot.texts(alice.id)
    assert await state(bot, alice) == "authors.more"
    await bot.say(alice, "sửa 9")
    assert bot.last_text(alice.id) == bot.t("error.edit_person_range", count=3)
    await bot.say(alice, "sửa 3")
    assert await state(bot, alice) == "authors.full_name"
    await bot.say(alice, "Lê Thị Cúc Phương")
    for _ in range(4):
        await bot.press(alice, "sk:keep")
    await bot.press(alice, "sk:done")
    assert await state(bot, alice) == "review"  # the shares are not asked again
    after = (await draft(bot, alice))["answers"]["authors"]
    assert after[0] == {
        **before[0],
        "birth_date": "1985-08-16",
        "qualification": "Tiến sĩ quản lý công",
    }
    assert after[1] == before[1]
    assert after[2] == {**before[2], "full_name": "Lê Thị Cúc Phương"}
    assert [a["share"] for a in after] == [50, 30, 20]


async def test_similar_title_warns_without_blocking(
    bot: Harness, alice: StubUser, bob: StubUser
) -> None:
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Phần mềm quản lý hồ sơ một cửa")
    await bot.say(alice, "nộp đơn")  # typed «Gửi đơn»
    assert await state(bot, alice) == "commit"
    await bot.say(alice, "đồng ý")  # typed «Tôi cam đoan…»
    number = await bot.db_value("SELECT number FROM initiatives")
    assert number is not None

    async def to_the_title() -> None:  # a new form, up to its title
        await bot.say(alice, "/sangkien")
        await bot.press(alice, "sk:c:0")
        await bot.say(alice, "1/1/1980")
        await bot.say(alice, "Kỹ sư")
        await bot.press(alice, "sk:done")

    await to_the_title()
    await bot.say(alice, "phan mem quan ly ho so mot cua")
    # With its title (qa16: a bare number said nothing), and whose it is.
    item = bot.t("initiative.similar_mine", number=number, title="Phần mềm quản lý hồ sơ một cửa")
    assert bot.t("initiative.similar", items=Safe(item)) in bot.texts(alice.id)
    assert await state(bot, alice) == "solution_type"
    # Someone else's: no «đơn của anh/chị».
    await register(bot, bob, "Trần Văn Bình")
    async with bot.services.db.transaction() as conn:
        await conn.execute("UPDATE initiatives SET submitter_id = ?", (bob.id,))
    await bot.say(alice, "/xoanhap")
    await bot.say(alice, "có")
    await to_the_title()
    await bot.say(alice, "Phần mềm quản lý hồ sơ một cửa <mới>")
    item = bot.t("initiative.similar_item", number=number, title="Phần mềm quản lý hồ sơ một cửa")
    assert bot.t("initiative.similar", items=Safe(item)) in bot.texts(alice.id)


async def test_unregistered_person_is_sent_to_registration(bot: Harness, bob: StubUser) -> None:
    await bot.say(bob, "/sangkien")
    assert bot.last_text(bob.id) == bot.t("initiative.register_first", "en")
    assert await state(bot, bob) is None


async def test_old_draft_is_reminded_once(bot: Harness, alice: StubUser) -> None:
    from handlers.initiative import remind_drafts

    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    async with bot.services.db.transaction() as conn:
        await conn.execute("UPDATE drafts SET updated_at = '2000-01-01T00:00:00+00:00'")

    class Ctx:
        services = bot.services
        assert bot.app is not None
        bot_ = bot.app.bot

    ctx: Any = Ctx()
    ctx.bot = ctx.bot_
    before = len(bot.texts(alice.id))
    await remind_drafts(ctx)
    await remind_drafts(ctx)
    reminders = [t for t in bot.texts(alice.id)[before:] if t == bot.t("initiative.draft_reminder")]
    assert len(reminders) == 1


async def test_returned_initiative_is_amended_and_resubmitted(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    from bot.domain.initiative import Status
    from bot.services.flows import StepRef

    await register(bot, alice)
    await fill_until_review(bot, alice, title="Tên ban đầu của sáng kiến")
    await bot.press(alice, "sk:submit")
    await bot.press(alice, "sk:commit")
    row = await bot.db_row("SELECT id, number FROM initiatives")
    assert row is not None
    service = bot.services.initiatives
    await bot.say(admin, "/start")  # the admin is known to the bot
    reviewer = await bot.services.users.require(admin.id)
    key = (admin.id, admin.id)
    await service.review(StepRef(-1, key), reviewer, row["id"], Status.REVIEWING)
    await service.review(
        StepRef(-2, key), reviewer, row["id"], Status.NEEDS_CHANGES, "Bổ sung số liệu"
    )
    # The amend button (shown in /my_initiatives) opens the initiative at the review screen.
    message = bot.stub.sent(alice.id, "sendMessage")[-1].result  # any message of the bot
    await bot.press(alice, f"ini:amend:{row['id']}", message=message)
    assert await state(bot, alice) == "review"
    assert bot.t("initiative.amending", number=row["number"]) in bot.texts(alice.id)
    await bot.press(alice, "sk:edit:title")
    await bot.say(alice, "Tên đã bổ sung số liệu")
    await bot.say(alice, "nộp lại")  # typed «Gửi đơn», as the amending notice says it (qa18)
    assert await state(bot, alice) == "commit"
    await bot.press(alice, "sk:commit")
    after = await bot.db_row("SELECT * FROM initiatives")
    assert after is not None
    assert after["number"] == row["number"] and after["status"] == "submitted"
    assert after["title"] == "Tên đã bổ sung số liệu"
    assert await bot.db_value("SELECT count(*) FROM initiatives") == 1
    history = await bot.db_value(
        "SELECT group_concat(to_status, ',') FROM initiative_history ORDER BY id"
    )
    assert history == "submitted,reviewing,needs_changes,submitted"
    assert bot.t("initiative.resubmitted", number=row["number"], title=after["title"]) in (
        bot.texts(alice.id)
    )
    # Not amendable any more: the button is refused.
    await bot.press(alice, f"ini:amend:{row['id']}", message=message)
    assert bot.last_text(alice.id) == bot.t("initiative.not_amendable")


async def test_the_office_is_told_of_new_and_resubmitted_applications(
    bot: Harness, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    """Everyone who may review (the admin, a granted reviewer) gets a notice in their language
    once per submission (not again for a double tap), and again when a returned one comes
    back; the submitter is not told about their own."""
    from bot.domain.initiative import Status
    from bot.services.flows import StepRef

    await register(bot, admin, "Phạm Văn Quản")
    await register(bot, bob, "Bob An")  # English; a reviewer
    await bot.say(admin, f"/grant {bob.id} reviewer")
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Sổ tay <điện tử> cho tổ một cửa")
    await bot.press(alice, "sk:submit")
    await bot.press(alice, "sk:commit")
    await bot.press(alice, "sk:commit")  # a double tap: one record, one notice
    row = await bot.db_row("SELECT id, number, title, unit FROM initiatives")
    assert row is not None
    mark = bot.mark()
    await bot.deliver()
    params = {"number": row["number"], "title": row["title"], "name": "Nguyễn Thị Lan"}
    new_vi = bot.t("initiative.office.new", unit=row["unit"], **params)
    assert "Sổ tay &lt;điện tử&gt;" in new_vi and "Phòng Quản lý khoa học" in new_vi
    hint = bot.t("initiative.office.settings_hint")
    assert bot.texts_since(mark, admin.id) == [f"{new_vi}\n{hint}"]
    assert bot.texts_since(mark, bob.id) == [
        bot.t("initiative.office.new", "en", unit=row["unit"], **params)
        + "\n"
        + bot.t("initiative.office.settings_hint", "en")
    ]
    assert bot.texts_since(mark, alice.id) == []

    # Bob turns them off in /settings (its second switch, typed by its number); the setting
    # is kept in the database, and /settings shows it.
    await bot.say(bob, "/settings")
    assert [data for _, data in bot.buttons(bob.id)] == ["set:off", "set:rv:off"]
    assert bot.t("settings.review", "en", state=Safe(bot.t("settings.on", "en"))) in (
        bot.last_text(bob.id)
    )
    await bot.say(bob, "2")
    assert bot.last_text(bob.id) == bot.t("settings.review_turned_off", "en")
    assert await bot.db_value("SELECT review_notices FROM users WHERE user_id = ?", bob.id) == 0
    assert await bot.db_value("SELECT muted FROM users WHERE user_id = ?", bob.id) == 0
    await bot.say(alice, "/settings")  # no reviewer: one switch only
    assert [data for _, data in bot.buttons(alice.id)] == ["set:off"]

    reviewer = await bot.services.users.require(admin.id)
    key = (admin.id, admin.id)
    service = bot.services.initiatives
    await service.review(StepRef(-1, key), reviewer, row["id"], Status.REVIEWING)
    await service.review(
        StepRef(-2, key), reviewer, row["id"], Status.NEEDS_CHANGES, "Thêm số liệu"
    )
    message = bot.stub.sent(alice.id, "sendMessage")[-1].result
    await bot.press(alice, f"ini:amend:{row['id']}", message=message)
    await bot.press(alice, "sk:submit")
    await bot.press(alice, "sk:commit")
    mark = bot.mark()
    await bot.deliver()
    again = bot.t("initiative.office.resubmitted", unit=row["unit"], **params)
    assert bot.texts_since(mark, admin.id) == [f"{again}\n{hint}"]
    assert bot.texts_since(mark, bob.id) == []  # off

    await bot.say(bob, "/settings")
    assert bot.buttons(bob.id)[-1] == (bot.t("settings.btn.review_on", "en"), "set:rv:on")
    await bot.press(bob, "set:rv:on")
    assert bot.last_text(bob.id) == bot.t("settings.review_turned_on", "en")
    assert await bot.db_value("SELECT review_notices FROM users WHERE user_id = ?", bob.id) == 1
    await bot.say(admin, f"/revoke {bob.id} reviewer")
    await bot.press(bob, "set:rv:off")  # an older screen, no longer a reviewer
    assert bot.last_text(bob.id) == bot.t("button.stale", "en")


async def test_an_admins_own_application_is_not_announced_to_them(
    bot: Harness, admin: StubUser
) -> None:
    await register(bot, admin, "Phạm Văn Quản")
    await fill_until_review(bot, admin, title="Sáng kiến của chính văn phòng")
    await bot.press(admin, "sk:submit")
    await bot.press(admin, "sk:commit")
    mark = bot.mark()
    await bot.deliver()
    assert await bot.db_value("SELECT count(*) FROM initiatives") == 1
    assert bot.texts_since(mark, admin.id) == []
    assert await bot.db_value("SELECT count(*) FROM outbox") == 0


async def test_forget_me_keeps_the_submitted_record_without_the_link(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Sáng kiến được giữ lại")
    await bot.press(alice, "sk:submit")
    await bot.press(alice, "sk:commit")
    await bot.say(alice, "/sangkien")  # a new draft, which goes with the person
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/forget_me")
    await bot.press(alice, "fg:yes")
    row = await bot.db_row("SELECT id, submitter_id, title FROM initiatives")
    assert row is not None
    assert (row["submitter_id"], row["title"]) == (None, "Sáng kiến được giữ lại")
    assert await bot.db_value("SELECT count(*) FROM drafts") == 0
    # A decision on it: the reviewer is told why nobody is notified (not "blocked the bot").
    await bot.say(admin, f"/review {row['id']}")
    await bot.press(admin, f"rv:m:{row['id']}:reviewing")
    assert bot.t("review.author_erased") in bot.last_text(admin.id)


async def test_form_again_for_its_submitter_only(
    bot: Harness, alice: StubUser, bob: StubUser
) -> None:
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Sáng kiến có đơn tải lại")
    await bot.press(alice, "sk:submit")
    await bot.press(alice, "sk:commit")
    initiative_id = await bot.db_value("SELECT id FROM initiatives")
    message = bot.stub.sent(alice.id, "sendMessage")[-1].result
    edits = len(bot.stub.sent(alice.id, "editMessageReplyMarkup"))
    await bot.press(alice, f"ini:docx:{initiative_id}", message=message)
    docs = bot.stub.sent(alice.id, "sendDocument")
    assert len(docs) == 2
    # Only a document arrives: the screen keeps its buttons.
    assert len(bot.stub.sent(alice.id, "editMessageReplyMarkup")) == edits
    text = "\n".join(p.text for p in Document(io.BytesIO(docs[-1].params["_bytes"])).paragraphs)
    assert "Mã nguồn phần mềm" in text  # the submitter sees the confidential information
    await bot.say(bob, "/help")
    message = bot.stub.sent(bob.id, "sendMessage")[-1].result
    await bot.press(bob, f"ini:docx:{initiative_id}", message=message)
    assert bot.last_text(bob.id) == bot.t("initiative.not_found", "en")
    assert not bot.stub.sent(bob.id, "sendDocument")


async def test_lists_of_people_show_typed_text_once_escaped(bot: Harness, alice: StubUser) -> None:
    """The "more authors?" and "more appliers?" screens: a workplace with ``&`` and ``<`` reads
    exactly as typed, an empty list reads "(không có)" (no markup, no ``&amp;``)."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    await bot.say(alice, "15/8/1985")
    await bot.say(alice, "Thạc sĩ")
    await bot.say(alice, "1")  # add a co-author
    await bot.say(alice, "Trần Văn Bình")
    await bot.say(alice, "02-03-1980")
    await bot.say(alice, "Trung tâm CNTT & Dữ liệu <số>")
    await bot.say(alice, "Chuyên viên")
    await bot.say(alice, "Kỹ sư")
    assert await state(bot, alice) == "authors.more"
    screen = parse(bot.last_text(alice.id))
    assert "Trần Văn Bình – 02/03/1980 – Trung tâm CNTT & Dữ liệu <số> – Chuyên viên" in screen
    await bot.press(alice, "sk:done")
    shares = parse(bot.last_text(alice.id))
    assert "1. Nguyễn Thị Lan\n2. Trần Văn Bình" in shares
    await bot.say(alice, "60 40")
    await bot.say(alice, "Phần mềm một cửa")
    await bot.say(alice, "quản lý")
    await bot.say(alice, "1")
    await bot.press(alice, "sk:skip")
    await bot.say(alice, "không")
    await say_all(bot, alice, *ITEMS_4_TO_6)
    await bot.press(alice, "sk:skip")  # confidential
    await bot.say(alice, "Máy tính")
    await bot.say(alice, "Nhanh hơn")
    await bot.press(alice, "sk:skip")  # benefit_others
    assert await state(bot, alice) == "appliers.more"
    screen = parse(bot.last_text(alice.id))
    assert "(không có)" in screen and "<i>" not in screen


async def test_skip_by_command_and_typed_words(bot: Harness, alice: StubUser) -> None:
    """/boqua and /skip do what the «Bỏ qua» button does; on a required item they say so and
    keep the step; on a list of people they mean "nobody more"; "xong" typed on the empty
    list of appliers goes on like its «Bỏ qua» button."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    await bot.say(alice, "/boqua")  # birth date: required
    assert bot.texts(alice.id)[-2] == bot.t("initiative.cannot_skip")
    assert await state(bot, alice) == "authors.birth_date"
    await bot.say(alice, "15/8/1985")
    await bot.say(alice, "Thạc sĩ")
    assert await state(bot, alice) == "authors.more"
    await bot.say(alice, "/skip")  # no co-author
    assert await state(bot, alice) == "title"  # one author: no shares to ask
    await bot.say(alice, "Phần mềm một cửa")
    await bot.say(alice, "quản lý")
    await bot.say(alice, "1")
    assert await state(bot, alice) == "investor"
    await bot.say(alice, "/skip")
    assert await state(bot, alice) == "state_funds"
    await bot.say(alice, "không")
    await say_all(bot, alice, *ITEMS_4_TO_6)
    await bot.say(alice, "/boqua")  # confidential
    assert await state(bot, alice) == "conditions"
    await bot.say(alice, "Máy tính")
    await bot.say(alice, "Nhanh hơn")
    await bot.say(alice, "bỏ qua")  # benefit_others, typed
    assert await state(bot, alice) == "appliers.more"
    await bot.say(alice, "xong")
    assert await state(bot, alice) == "review"
    answers = (await draft(bot, alice))["answers"]
    assert answers["investor"] is None and answers["confidential"] is None
    assert answers["appliers"] in (None, [])


async def test_typed_answers_that_are_not_answers(bot: Harness, alice: StubUser) -> None:
    """Found by typing only: "2" on the list of authors is «Xong» with or without a co-author to
    remove (removing takes "xóa 2" or the button); «không» / «có» answer "còn đồng tác giả nào
    khác không?"; «bỏ qua», «xong», «không» typed at a required step are refused, not saved; a
    number that is none of a list's options is refused, not saved as the campaign."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    await bot.say(alice, "15/8/1985")
    await bot.say(alice, "xong")  # qualification: required
    assert bot.last_text(alice.id) == bot.t("error.required")
    assert await state(bot, alice) == "authors.qualification"
    await bot.say(alice, "Thạc sĩ")
    assert await state(bot, alice) == "authors.more"
    await bot.say(alice, "có")
    assert await state(bot, alice) == "authors.full_name"
    await bot.say(alice, "bỏ qua")
    assert bot.last_text(alice.id) == bot.t("error.required")
    for answer in ("Trần Văn Bình", "1/1/1981", "Văn phòng Sở", "Chuyên viên", "Cử nhân"):
        await bot.say(alice, answer)
    assert await state(bot, alice) == "authors.more"
    labels = [label for label, _ in bot.buttons(alice.id)]
    assert labels[:2] == [bot.t("initiative.btn.add_authors"), bot.t("initiative.btn.done")]
    assert bot.t("initiative.remove_hint", example=2) in bot.last_text(alice.id)
    await bot.say(alice, "3")  # the third button removes: never by a bare number
    assert bot.t("error.choose_button") in bot.texts(alice.id)
    assert len((await draft(bot, alice))["answers"]["authors"]) == 2
    await bot.say(alice, "remove 1")  # the submitter: said so, not "that button no longer..."
    assert bot.last_text(alice.id) == bot.t("error.remove_submitter")
    await bot.say(alice, "xóa 5")
    assert bot.last_text(alice.id) == bot.t("error.remove_range", count=2)
    assert len((await draft(bot, alice))["answers"]["authors"]) == 2
    assert await state(bot, alice) == "authors.more"
    await bot.say(alice, "2")  # «Xong», not «Xóa người số 2»
    assert await state(bot, alice) == "shares"
    assert len((await draft(bot, alice))["answers"]["authors"]) == 2
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/sangkien")
    await bot.say(alice, "/xoanhap")
    await bot.say(alice, "xóa")

    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    await bot.say(alice, "15/8/1985")
    await bot.say(alice, "Thạc sĩ")
    await bot.say(alice, "không")  # no co-author
    assert await state(bot, alice) == "title"
    for skip in ("bỏ qua", "bo qua", "xong", "Không", "skip"):
        await bot.say(alice, skip)
        assert bot.last_text(alice.id) == bot.t("error.required"), skip
        assert await state(bot, alice) == "title"
    await bot.say(alice, "/xong")  # nothing to finish here: said so, not "a stale button"
    assert bot.texts(alice.id)[-2] == bot.t("initiative.done_not_here")
    assert await state(bot, alice) == "title"
    await bot.say(alice, "Phần mềm một cửa")
    await bot.say(alice, "quản lý")
    assert await state(bot, alice) == "campaign"
    count = len(bot.services.initiatives.form.options["campaign"])
    for number in ("10", "0", "99"):
        await bot.say(alice, number)
        assert bot.last_text(alice.id) == bot.t("error.option_range", count=count), number
        assert await state(bot, alice) == "campaign"
    answers = (await draft(bot, alice))["answers"]
    assert answers.get("title") == "Phần mềm một cửa" and "campaign" not in answers
    await bot.say(alice, "chuyen doi so")  # words from inside one campaign's name
    campaigns = bot.services.initiatives.form.options["campaign"]
    chosen = (await draft(bot, alice))["answers"]["campaign"]
    assert chosen in campaigns and "chuyển đổi số" in chosen


@pytest.mark.parametrize(("language", "done"), [("vi", "xong rồi"), ("vi", "ok"), ("en", "/done")])
async def test_description_finished_in_words_or_by_done(
    bot: Harness, alice: StubUser, language: str, done: str
) -> None:
    await register(bot, alice)
    if language == "en":
        await bot.say(alice, "/language en")
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")
    await say_all(bot, alice, "15/8/1985", "Thạc sĩ", "không", "Phần mềm một cửa", "quản lý", "1")
    await bot.press(alice, "sk:skip")
    await bot.say(alice, "không")
    await say_all(bot, alice, *ITEMS_4_TO_6[:-1])
    assert await state(bot, alice) == "description"
    await bot.say(alice, done)
    assert await state(bot, alice) == "confidential", done
    parts = (await draft(bot, alice))["answers"]["description"]["parts"]
    assert parts == [ITEMS_4_TO_6[3]]


async def _returned(bot: Harness, alice: StubUser, admin: StubUser, title: str) -> Any:
    """Alice's initiative ``title``, submitted and returned for changes."""
    from bot.domain.initiative import Status
    from bot.services.flows import StepRef

    if await bot.db_value("SELECT count(*) FROM initiatives"):  # «Làm đơn mới» first
        await bot.say(alice, "/sangkien")
        await bot.press(alice, "ini:new")
        await bot.say(alice, "/cancel")
    await fill_until_review(bot, alice, title=title)
    await bot.press(alice, "sk:submit")
    await bot.press(alice, "sk:commit")
    row = await bot.db_row("SELECT id, number FROM initiatives WHERE title = ?", title)
    assert row is not None
    await bot.say(admin, "/start")
    reviewer = await bot.services.users.require(admin.id)
    key = (admin.id, admin.id)
    service = bot.services.initiatives
    base = -10 * row["id"]
    await service.review(StepRef(base - 1, key), reviewer, row["id"], Status.REVIEWING)
    await service.review(
        StepRef(base - 2, key), reviewer, row["id"], Status.NEEDS_CHANGES, "Bổ sung"
    )
    return row


async def test_sangkien_offers_to_amend_a_returned_initiative(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    """qa16: /sangkien with an application returned for changes (and no draft) started a
    blank form, which then blocked «Sửa và nộp lại». It asks first: amend that one (button,
    its number, «sửa») or start a new one; a blank new draft never blocks the amendment."""
    await register(bot, alice)
    row = await _returned(bot, alice, admin, "Phần mềm quản lý hồ sơ thi đua")
    await bot.say(alice, "/sangkien")
    assert bot.last_text(alice.id) == bot.t(
        "initiative.returned_one",
        items=Safe(
            bot.t(
                "initiative.returned_item",
                number=row["number"],
                title="Phần mềm quản lý hồ sơ thi đua",
            )
        ),
    )
    assert bot.buttons(alice.id) == [
        (bot.t("initiative.btn.amend_number", number=row["number"]), f"ini:amend:{row['id']}"),
        (bot.t("initiative.btn.new_form"), "ini:new"),
    ]
    assert await state(bot, alice) is None and await draft(bot, alice) == {}  # nothing opened
    await bot.say(alice, "sửa")
    assert await state(bot, alice) == "review"
    assert bot.t("initiative.amending", number=row["number"]) in bot.texts(alice.id)
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/sangkien")  # the amendment is the draft now: resumed
    assert bot.t("initiative.amending", number=row["number"]) == bot.texts(alice.id)[-2]
    assert await state(bot, alice) == "review"
    await bot.say(alice, "/xoanhap")
    await bot.say(alice, "có")
    assert await draft(bot, alice) == {}

    # «Làm đơn mới» pressed: the form's first question; left there, it does not stand in the
    # way of the amendment (typed by its number on the choice).
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "ini:new")
    assert bot.t("initiative.intro") in bot.texts(alice.id)[-2:]
    assert await state(bot, alice) == "recipient"
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/sangkien")  # the blank draft is resumed, as any draft
    assert await state(bot, alice) == "recipient"
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/my_initiatives")
    await bot.say(alice, "1")
    await bot.say(alice, "sửa và nộp lại")
    assert await state(bot, alice) == "review"
    assert (await draft(bot, alice))["initiative_id"] == row["id"]


async def test_sangkien_with_two_returned_initiatives(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    await register(bot, alice)
    first = await _returned(bot, alice, admin, "Sổ tay điện tử cho cán bộ")
    second = await _returned(bot, alice, admin, "Quy trình số hóa hồ sơ")
    await bot.say(alice, "/sangkien")
    assert bot.t(
        "initiative.returned_item", number=second["number"], title="Quy trình số hóa hồ sơ"
    ) in bot.last_text(alice.id)
    assert [data for _, data in bot.buttons(alice.id)] == [
        f"ini:amend:{first['id']}",
        f"ini:amend:{second['id']}",
        "ini:new",
    ]
    await bot.say(alice, "sửa")  # which one? not a pick: the menu's words, not the form
    assert await state(bot, alice) is None
    await bot.say(alice, "/sangkien")
    await bot.say(alice, second["number"])  # its number typed
    assert await state(bot, alice) == "review"
    assert (await draft(bot, alice))["initiative_id"] == second["id"]
    await bot.say(alice, "/cancel")
    # English labels work too, and «3» is «Làm đơn mới» on a fresh screen.
    await bot.say(alice, "/xoanhap")
    await bot.say(alice, "có")
    await bot.say(alice, "/sangkien")
    await bot.say(alice, "3")
    assert await state(bot, alice) == "recipient"


async def test_amend_typed_and_another_draft_deleted_from_any_step(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    """ "Sửa và nộp lại" typed on the initiative's screen opens the amendment, as the button
    does. A half-filled new draft in the way is deleted with /xoanhap from any step (after a
    confirmation whose "Quay lại" returns to that step); "xóa bản nháp" typed does the same."""
    from bot.domain.initiative import Status
    from bot.services.flows import StepRef

    await register(bot, alice)
    await fill_until_review(bot, alice, title="Tên ban đầu của sáng kiến")
    await bot.press(alice, "sk:submit")
    await bot.press(alice, "sk:commit")
    row = await bot.db_row("SELECT id, number FROM initiatives")
    assert row is not None
    await bot.say(admin, "/start")
    reviewer = await bot.services.users.require(admin.id)
    key = (admin.id, admin.id)
    service = bot.services.initiatives
    await service.review(StepRef(-1, key), reviewer, row["id"], Status.REVIEWING)
    await service.review(StepRef(-2, key), reviewer, row["id"], Status.NEEDS_CHANGES, "Bổ sung")

    # A new draft (chosen over amending the returned one), left at its first step.
    await bot.say(alice, "/sangkien")
    await bot.say(alice, "làm đơn mới")
    await bot.press(alice, "sk:c:0")
    assert await state(bot, alice) == "authors.birth_date"
    await bot.say(alice, "/cancel")
    assert bot.last_text(alice.id) == bot.t("initiative.paused")
    await bot.say(alice, "/my_initiatives")
    await bot.say(alice, "1")  # the list's first item
    await bot.say(alice, "sửa và nộp lại")  # typed label of the amend button
    assert bot.last_text(alice.id) == bot.t("initiative.other_draft")
    assert await state(bot, alice) is None

    # /xoanhap outside the form asks first; "Quay lại" keeps the draft at its step.
    await bot.say(alice, "/xoanhap")
    assert await state(bot, alice) == "discard"
    await bot.say(alice, "quay lại")
    assert await state(bot, alice) == "authors.birth_date"
    assert (await draft(bot, alice))["answers"]["recipient"]
    await bot.say(alice, "xóa bản nháp")  # typed, inside the form
    assert await state(bot, alice) == "discard"
    await bot.say(alice, "có")  # the answer to «chắc chắn muốn xóa?» (qa16 B7)
    assert await state(bot, alice) is None and await draft(bot, alice) == {}

    await bot.say(alice, "/my_initiatives")
    await bot.say(alice, "1")
    await bot.say(alice, "sua va nop lai")  # without diacritics
    assert await state(bot, alice) == "review"
    assert bot.t("initiative.amending", number=row["number"]) in bot.texts(alice.id)
    assert (await draft(bot, alice))["initiative_id"] == row["id"]
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/xoanhap")
    await bot.say(alice, "1")  # the amendment deleted: the record stays as submitted
    said = bot.t("initiative.discard_amendment", number=row["number"])
    assert bot.last_text(alice.id) == said
    assert await bot.db_value("SELECT status FROM initiatives") == "needs_changes"
    await bot.say(alice, "/xoanhap")
    assert bot.last_text(alice.id) == bot.t("initiative.no_draft")
