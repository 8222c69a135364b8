"""The initiative form and its review typed as people type them, without buttons: numbers with
words around them («dạ 2 ạ», «sửa mục 4»), "none" in its many forms on optional items, control
words that must never become data, keeping an answer while changing it, refusing to commit, and
the office's typed moves (found by a typed-only QA pass)."""

from __future__ import annotations

import pytest

from bot.domain.text import shorten
from bot.tg.stub_api import StubUser
from tests.harness import ADMIN_ID, Harness
from tests.test_initiative_flow import (
    ITEMS_4_TO_6,
    STICKER,
    draft,
    fill_until_review,
    register,
    say_all,
    state,
)


async def _to_title(bot: Harness, user: StubUser, recipient: str = "1") -> None:
    await register(bot, user)
    await bot.say(user, "/sangkien")
    await bot.say(user, recipient)
    await bot.say(user, "15/8/1985")
    await bot.say(user, "Thạc sĩ")
    await bot.say(user, "không")  # no co-author
    assert await state(bot, user) == "title"


async def test_numbers_with_words_around_them_pick_that_option(
    bot: Harness, alice: StubUser
) -> None:
    """«dạ 2 ạ» at «Kính gửi» (a step that also takes a typed name) is option 2, never the
    name «dạ 2 ạ»; «mục 1 nhé» at the campaign is campaign 1."""
    await _to_title(bot, alice, recipient="dạ 2 ạ")
    recipients = bot.services.initiatives.form.options["recipient"]
    assert (await draft(bot, alice))["answers"]["recipient"] == recipients[1]
    await bot.say(alice, "Phần mềm một cửa")
    await bot.say(alice, "số 2")  # solution type 2
    await bot.say(alice, "mục 1 nhé")
    answers = (await draft(bot, alice))["answers"]
    assert answers["solution_type"] == bot.services.initiatives.form.options["solution_type"][1]
    assert answers["campaign"] == bot.services.initiatives.form.options["campaign"][0]


@pytest.mark.parametrize(
    ("recipient", "kind", "campaign", "expected"),
    [
        ("default", "technical progress", "digital transformation", (0, 3, 2)),
        ("the provincial council", "the second one", "administrative reform", (2, 1, 4)),
        ("hội đồng sở", "thứ ba", "văn hóa công sở", (1, 2, 3)),
        # The first words of one, as people shorten it; «phong trào» before a number or a
        # name (qa18: both were saved as typed, and printed so on the form).
        ("so khoa hoc", "quản lý", "phong trao so 3", (0, 1, 2)),
        ("Sở Khoa học", "kỹ thuật", "phong trào chuyển đổi số", (0, 0, 2)),
        ("Hội đồng sáng kiến tỉnh", "loại 2", "phong trào thứ hai", (2, 1, 1)),
        # More words than the short forms, in the label's order (qa19: saved as typed).
        ("hoi dong tinh hung yen", "quản lý", "chuyen doi so 2021-2025", (2, 1, 2)),
        ("Hội đồng tỉnh Hưng Yên", "quản lý", "cai cach hanh chinh 2022-2025", (2, 1, 4)),
        ("hoi dong so khcn", "quản lý", "PT 5", (1, 1, 4)),
        ("HDSK so", "quản lý", "cchc", (1, 1, 4)),
        ("so khcn", "quản lý", "pt5", (0, 1, 4)),  # qa20: «pt5» was saved as typed
    ],
)
async def test_options_typed_by_other_names_or_as_ordinals(
    bot: Harness,
    alice: StubUser,
    recipient: str,
    kind: str,
    campaign: str,
    expected: tuple[int, int, int],
) -> None:
    """English names and short forms of the listed bodies and movements (the form's
    option_aliases), and ordinals, pick that option: never saved as a new typed value."""
    await _to_title(bot, alice, recipient=recipient)
    await bot.say(alice, "Phần mềm một cửa")
    await bot.say(alice, kind)
    await bot.say(alice, campaign)
    options = bot.services.initiatives.form.options
    answers = (await draft(bot, alice))["answers"]
    assert answers["recipient"] == options["recipient"][expected[0]]
    assert answers["solution_type"] == options["solution_type"][expected[1]]
    assert answers["campaign"] == options["campaign"][expected[2]]


async def test_an_option_read_from_other_words_is_said(bot: Harness, alice: StubUser) -> None:
    """qa20: «hội đồng sở khcn», «cchc» were read right, but silently: the person sees what
    the form will say. Its number or its label typed whole needs no such line."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    options = bot.services.initiatives.form.options
    await bot.say(alice, "Hội đồng sở KHCN")
    assert bot.texts(alice.id)[-2] == bot.t(
        "initiative.choice_matched", value=options["recipient"][1]
    )
    await say_all(bot, alice, "15/8/1985", "Thạc sĩ", "không", "Phần mềm một cửa", "quản lý")
    mark = bot.mark()
    await bot.say(alice, "5")
    assert bot.t("initiative.choice_matched", value=options["campaign"][4]) not in bot.texts_since(
        mark, alice.id
    )
    assert (await draft(bot, alice))["answers"]["campaign"] == options["campaign"][4]


async def test_the_first_words_of_several_options_ask_which(bot: Harness, alice: StubUser) -> None:
    """«hội đồng» at «Kính gửi» (which also takes a typed name) starts two of its options:
    the bot asks which (numbered as on the first screen) instead of printing «Kính gửi: hội
    đồng» on the form; another body typed in full is taken as typed."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.say(alice, "hoi dong")
    options = bot.services.initiatives.form.options["recipient"]
    asked = bot.last_text(alice.id)
    assert f"2. {options[1]}" in asked and f"3. {options[2]}" in asked
    assert [data for _, data in bot.buttons(alice.id)] == ["sk:c:1", "sk:c:2"]
    assert await state(bot, alice) == "recipient"
    assert "recipient" not in (await draft(bot, alice))["answers"]
    await bot.say(alice, "3")
    assert (await draft(bot, alice))["answers"]["recipient"] == options[2]
    # Another body, typed: kept as typed.
    await bot.say(alice, "/xoanhap")
    await bot.say(alice, "có")
    await bot.say(alice, "/sangkien")
    await bot.say(alice, "Hội đồng thi đua khen thưởng huyện Văn Lâm")
    recipient = (await draft(bot, alice))["answers"]["recipient"]
    assert recipient == "Hội đồng thi đua khen thưởng huyện Văn Lâm"


async def test_a_required_list_item_is_never_none_and_a_typed_one_is_said(
    bot: Harness, alice: StubUser
) -> None:
    """qa19: «ko thuộc phong trào nào» was saved as the campaign's name, and a body typed at
    «Kính gửi» went on the form without a word. Now "none" at a required list says what to
    pick, and a value that is none of the options is repeated before the next question."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    # qa20: a main menu item's name, «thôi», «chưa rõ» were printed as the recipient.
    for typed in ("hồ sơ của tôi", "Nộp sáng kiến", "thôi"):
        await bot.say(alice, typed)
        assert bot.last_text(alice.id) == bot.t("error.not_an_answer", text=typed), typed
    for typed in ("chưa rõ", "chua ro lam"):
        await bot.say(alice, typed)
        assert bot.texts(alice.id)[-2] == bot.t(
            "error.choice_none",
            first=shorten(bot.services.initiatives.form.options["recipient"][0], 60),
        ), typed
    assert await state(bot, alice) == "recipient"
    assert "recipient" not in (await draft(bot, alice))["answers"]
    await bot.say(alice, "UBND tinh <Hung Yen>")
    assert bot.texts(alice.id)[-2] == bot.t("initiative.choice_typed", value="UBND tinh <Hung Yen>")
    assert "UBND tinh &lt;Hung Yen&gt;" in bot.texts(alice.id)[-2]
    assert (await draft(bot, alice))["answers"]["recipient"] == "UBND tinh <Hung Yen>"
    await say_all(bot, alice, "15/8/1985", "Thạc sĩ", "không", "Phần mềm một cửa", "quản lý")
    assert await state(bot, alice) == "campaign"
    first = bot.services.initiatives.form.options["campaign"][0]
    for typed in ("ko thuoc phong trao nao", "Không thuộc phong trào nào", "bỏ qua", "chưa rõ"):
        await bot.say(alice, typed)
        assert bot.texts(alice.id)[-2] == bot.t("error.choice_none", first=shorten(first, 60))
        assert await state(bot, alice) == "campaign"
    assert "campaign" not in (await draft(bot, alice))["answers"]
    await bot.say(alice, "1")
    assert (await draft(bot, alice))["answers"]["campaign"] == first


async def test_none_in_its_forms_leaves_an_optional_item_empty(
    bot: Harness, alice: StubUser
) -> None:
    """«không có chủ đầu tư», "n/a", «chưa có ạ» leave the investor empty; a steering word
    there is no answer (and not "this item is required": it is not)."""
    await _to_title(bot, alice)
    await say_all(bot, alice, "Phần mềm một cửa", "quản lý", "1")
    assert await state(bot, alice) == "investor"
    await bot.say(alice, "quay lại")
    assert bot.last_text(alice.id) == bot.t("error.not_an_answer", text="quay lại")
    assert await state(bot, alice) == "investor"
    await bot.say(alice, "không có chủ đầu tư")
    assert await state(bot, alice) == "state_funds"
    assert (await draft(bot, alice))["answers"]["investor"] is None
    await bot.say(alice, "không")
    await say_all(bot, alice, *ITEMS_4_TO_6)
    assert await state(bot, alice) == "confidential"
    await bot.say(alice, "n/a")
    assert await state(bot, alice) == "conditions"
    await say_all(bot, alice, "Máy tính", "Nhanh hơn")
    await bot.say(alice, "chưa có ạ")  # benefit_others
    assert await state(bot, alice) == "appliers.more"
    answers = (await draft(bot, alice))["answers"]
    assert answers["confidential"] is None and answers["benefit_others"] is None


async def test_control_words_are_no_part_of_the_description(bot: Harness, alice: StubUser) -> None:
    await _to_title(bot, alice)
    await say_all(bot, alice, "Phần mềm một cửa", "quản lý", "1", "bỏ qua", "không")
    await say_all(bot, alice, "Cải cách hành chính", "Hồ sơ chậm", "dạ 1/3/2025 ạ")
    assert await state(bot, alice) == "description"
    assert (await draft(bot, alice))["answers"]["first_applied"] == "2025-03-01"
    await bot.send_raw(alice, {"sticker": STICKER})  # the description takes photos, not these
    assert bot.last_text(alice.id) == bot.t("error.expect_text_or_file")
    assert await state(bot, alice) == "description"
    await bot.say(alice, "Mô tả thật dài đủ ý nghĩa của sáng kiến.")
    for word in ("không", "bỏ qua", "khong co"):
        await bot.say(alice, word)
        assert bot.last_text(alice.id) == bot.t("error.required"), word
    parts = (await draft(bot, alice))["answers"]["description"]["parts"]
    assert parts == ["Mô tả thật dài đủ ý nghĩa của sáng kiến."]


async def test_dates_and_shares_as_people_type_them(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.say(alice, "1")
    await bot.say(alice, "ngày 15 tháng 8 năm 1985")
    assert await state(bot, alice) == "authors.qualification"
    await bot.say(alice, "Thạc sĩ")
    await bot.say(alice, "có")
    await say_all(bot, alice, "Trần Văn Bình", "1980-03-02", "Văn phòng Sở", "Chuyên viên", "Kỹ sư")
    await bot.say(alice, "xong")
    assert await state(bot, alice) == "shares"
    await bot.say(alice, "60,5 39,5")  # a decimal comma
    authors = (await draft(bot, alice))["answers"]["authors"]
    assert [a["birth_date"] for a in authors] == ["1985-08-15", "1980-03-02"]
    assert [a["share"] for a in authors] == [60.5, 39.5]


async def test_shares_are_shown_with_the_decimal_mark_of_the_language(
    bot: Harness, alice: StubUser
) -> None:
    """«50,5%» on the Vietnamese review screen (and the .docx), "50.5%" in English."""
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Sổ tay điện tử cho bộ phận một cửa")
    await bot.press(alice, "sk:edit:shares")
    await bot.say(alice, "50.5 29.5 20")  # a decimal point typed: read all the same
    assert await state(bot, alice) == "review"
    review = bot.last_text(alice.id)
    assert "50,5%" in review and "29,5%" in review and "50.5" not in review
    await bot.say(alice, "/language")
    await bot.say(alice, "English")
    review = bot.last_text(alice.id)
    assert "50.5%" in review and "50,5" not in review


async def test_review_typed_edits_keep_and_numbers_not_shown(bot: Harness, alice: StubUser) -> None:
    """«sửa mục 4» and "edit the title" open that item; «giữ nguyên» while changing it keeps
    the answer; a number past the items («18») is refused, never «Gửi đơn» or «Xóa bản
    nháp»; «không» at the commitment goes back to the review."""
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Tên ban đầu của sáng kiến")
    edits = [data for _, data in bot.buttons(alice.id) if data.startswith("sk:edit:")]
    title_number = edits.index("sk:edit:title") + 1
    await bot.say(alice, f"sửa mục {title_number}")
    assert await state(bot, alice) == "title"
    labels = [label for label, _ in bot.buttons(alice.id)]
    assert labels == [bot.t("initiative.btn.keep")]
    await bot.say(alice, "giữ nguyên")
    assert await state(bot, alice) == "review"
    await bot.say(alice, "sửa mô tả")
    assert await state(bot, alice) == "description"
    await bot.say(alice, "không sửa")
    assert await state(bot, alice) == "review"
    saved = (await draft(bot, alice))["answers"]
    assert saved["title"] == "Tên ban đầu của sáng kiến"
    assert len(saved["description"]["parts"]) == 2 and saved["description"]["done"]
    for number in (len(edits) + 1, len(edits) + 2):
        await bot.say(alice, str(number))
        assert await state(bot, alice) == "review", number
    assert bot.last_text(alice.id) == bot.t(
        "review.pick_range", numbers=f"một số từ 1 đến {len(edits)}"
    )
    await bot.say(alice, "gửi đơn")
    assert await state(bot, alice) == "commit"
    await bot.say(alice, "không đồng ý")
    assert await state(bot, alice) == "review"
    await bot.say(alice, "gửi")
    await bot.say(alice, "xin cam đoan ạ")
    assert await state(bot, alice) is None
    assert await bot.db_value("SELECT count(*) FROM initiatives") == 1


async def test_office_moves_typed_by_status_and_comments_that_are_words(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """«đang xem xét» starts the review; «cần bổ sung» asks for the comment; «không» or "ok"
    there is no comment (the status stays); the unit filter takes a unit's short form."""
    from tests.initiative_fixtures import submit_initiative
    from tests.test_initiative_review import office

    item = await submit_initiative(bot, alice, title="Sáng kiến để xét theo chữ gõ")
    await office(bot, admin)
    await bot.say(admin, "/review")
    await bot.say(admin, "1")
    await bot.say(admin, "đang xem xét")
    status = "SELECT status FROM initiatives WHERE id = ?"
    assert await bot.db_value(status, item.id) == "reviewing"
    await bot.say(admin, "cần bổ sung")
    for word in ("không", "dạ ok ạ"):
        await bot.say(admin, word)
        assert bot.last_text(ADMIN_ID) == bot.t("review.not_a_comment", text=word), word
        assert await bot.db_value(status, item.id) == "reviewing"
    await bot.say(admin, "Bổ sung số liệu hiệu quả")
    assert await bot.db_value(status, item.id) == "needs_changes"
    # The unit filter: a unit's short form, as in units.toml («VP Sở»).
    await bot.say(admin, "/review")
    await bot.say(admin, "lọc theo đơn vị")
    await bot.say(admin, "VP Sở")
    assert "Sáng kiến để xét theo chữ gõ" in bot.last_text(ADMIN_ID)


async def test_review_names_items_and_says_when_two_match(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    await fill_until_review(bot, alice, title="Tên ban đầu của sáng kiến")
    edits = [data for _, data in bot.buttons(alice.id) if data.startswith("sk:edit:")]
    await bot.say(alice, "sửa lợi ích")  # items 15 and 16 both start so
    assert await state(bot, alice) == "review"
    # with the numbers of their ✏️ buttons
    numbers = {data.removeprefix("sk:edit:"): n for n, data in enumerate(edits, start=1)}
    for item in ("benefit_author", "benefit_others"):
        label = f"{numbers[item]}. {bot.t(f'initiative.field.{item}')}"
        assert label in bot.last_text(alice.id), label
    # and those two buttons under the question (it says «bấm nút»): pressing one opens it
    shown = [data for _, data in bot.buttons(alice.id)]
    assert shown == ["sk:edit:benefit_author", "sk:edit:benefit_others"]
    await bot.press(alice, "sk:edit:benefit_others")
    assert await state(bot, alice) == "benefit_others"
    await bot.press(alice, "sk:keep")
    assert await state(bot, alice) == "review"
    await bot.say(alice, "sửa mục 20")
    assert bot.last_text(alice.id) == bot.t(
        "review.pick_range", numbers=f"một số từ 1 đến {len(edits)}"
    )
    await bot.say(alice, "sửa người áp dụng")  # the list of appliers, not their benefits
    assert await state(bot, alice) == "appliers.more"
    await bot.say(alice, "xong")
    # A new part of the description, then «giữ nguyên»: the old one stays, and it is said.
    await bot.say(alice, "sửa mô tả")
    await bot.say(alice, "Mô tả mới hoàn toàn.")
    await bot.say(alice, "giữ nguyên")
    assert bot.t("initiative.kept_old", count=1) in bot.texts(alice.id)
    parts = (await draft(bot, alice))["answers"]["description"]["parts"]
    assert "Mô tả mới hoàn toàn." not in parts and len(parts) == 2


async def test_optional_answers_that_start_like_none_are_kept(
    bot: Harness, alice: StubUser
) -> None:
    await _to_title(bot, alice)
    await say_all(bot, alice, "Phần mềm một cửa", "quản lý", "1")
    await bot.say(alice, "Không Gian Xanh")  # a company's name
    assert (await draft(bot, alice))["answers"]["investor"] == "Không Gian Xanh"


async def test_a_decision_the_screen_does_not_offer_says_what_it_needs(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    from tests.initiative_fixtures import submit_initiative
    from tests.test_initiative_review import office

    await submit_initiative(bot, alice, title="Sáng kiến vừa nộp")
    await office(bot, admin)
    await bot.say(admin, "/review")
    await bot.say(admin, "1")
    await bot.say(admin, "không công nhận")
    text = bot.last_text(ADMIN_ID)  # «Đã nộp», so not yet «Không công nhận»: «Bắt đầu xét»...
    for key in ("initiative.status.submitted", "review.btn.not_recognised", "review.btn.reviewing"):
        assert bot.t(key) in text, key
    assert await bot.db_value("SELECT status FROM initiatives") == "submitted"


async def test_help_inside_the_form_lists_its_commands(bot: Harness, alice: StubUser) -> None:
    await _to_title(bot, alice)
    mark = bot.mark()
    await bot.say(alice, "/help")
    texts = bot.texts_since(mark, alice.id)
    assert texts[0] == bot.t("initiative.help_inside")
    assert len(texts) == 2  # then the question again
    assert await state(bot, alice) == "title"  # the step stays
