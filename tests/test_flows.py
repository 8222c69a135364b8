"""Offline flow tests: real handlers and database, a recording request in place of Telegram."""

from __future__ import annotations

import pytest

from bot.i18n import Safe
from bot.tg.stub_api import StubUser
from tests.harness import ADMIN_ID, Harness


async def register(bot: Harness, user: StubUser, name: str = "Trần Văn Bình") -> None:
    await bot.say(user, "/start")
    await bot.press(user, "pf:yes")
    await bot.say(user, name)
    await bot.press(user, "pf:unit:0")
    await bot.say(user, "Chuyên viên")
    await bot.press(user, "pf:skip")
    await bot.press(user, "pf:ok")


async def to_step(bot: Harness, user: StubUser, step: str) -> None:
    """Bring a new person to one step of onboarding."""
    await bot.say(user, "/start")
    answers = [
        ("consent", lambda: bot.press(user, "pf:yes")),
        ("full_name", lambda: bot.say(user, "Lê Thị Hoa")),
        ("unit", lambda: bot.say(user, "2")),
        ("position", lambda: bot.say(user, "Phó phòng")),
        ("phone", lambda: bot.say(user, "0987654321")),
    ]
    for name, answer in answers:
        if step == name:
            break
        await answer()
    assert await bot.state(user, "profile") == step


# --- onboarding ------------------------------------------------------------------------------


async def test_start_welcomes_in_vietnamese_and_asks_consent(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/start")
    texts = bot.texts(alice.id)
    assert texts[0] == bot.t("start.welcome")
    assert texts[1] == bot.t("onboarding.consent")
    assert [d for _, d in bot.buttons(alice.id)] == ["pf:yes", "pf:no"]
    assert await bot.state(alice, "profile") == "consent"


async def test_onboarding_with_typed_answers_only(bot: Harness, alice: StubUser) -> None:
    """Zalo has no buttons: every step works by typing the number or the label."""
    await bot.say(alice, "/start")
    await bot.say(alice, "dong y")
    await bot.say(alice, "đồng ý")  # a second yes
    assert bot.last_text(alice.id) == bot.t("error.not_an_answer", text="đồng ý")
    assert await bot.state(alice, "profile") == "full_name"
    mark = bot.mark()
    await bot.say(alice, "hội nghị tổ chức ở đâu")  # a question: answered, the name asked again
    said = bot.texts_since(mark, alice.id)
    assert said[-2:] == [bot.t("flow.question_answered"), bot.t("onboarding.ask_full_name")]
    assert await bot.state(alice, "profile") == "full_name"
    await bot.say(alice, "  nguyễn   thị LAN ")
    assert await bot.state(alice, "profile") == "unit"
    await bot.say(alice, "thanh tra so")  # label without diacritics
    await bot.say(alice, "Trưởng phòng")
    await bot.say(alice, "+84 912 345 678")
    assert await bot.state(alice, "profile") == "confirm"
    summary = bot.last_text(alice.id)
    assert "Nguyễn Thị Lan" in summary and "Thanh tra Sở" in summary and "0912345678" in summary
    await bot.say(alice, "1")  # Xác nhận
    row = await bot.db_row(
        "SELECT full_name, unit, position, phone FROM users WHERE user_id=?", alice.id
    )
    assert row == {
        "full_name": "Nguyễn Thị Lan",
        "unit": "Thanh tra Sở",
        "position": "Trưởng phòng",
        "phone": "0912345678",
    }
    consent = await bot.db_row(
        "SELECT accepted, notice_version FROM consents WHERE user_id=?", alice.id
    )
    assert consent is not None and consent["accepted"] == 1
    assert await bot.db_value("SELECT count(*) FROM drafts") == 0


async def test_unit_not_in_list_is_typed(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "unit")
    await bot.say(alice, "Trường THPT Chuyên <Hưng Yên>")
    assert await bot.state(alice, "profile") == "position"
    draft = await bot.services.profile.draft(alice.id)
    assert draft["unit"] == "Trường THPT Chuyên <Hưng Yên>"
    # qa19: said before the next question, so that a slip is seen («phòng ql cn»)
    said = bot.texts(alice.id)[-2]
    assert said == bot.t("onboarding.unit_typed", unit="Trường THPT Chuyên <Hưng Yên>")
    assert "&lt;Hưng Yên&gt;" in said


async def test_profile_unit_refuses_menu_names_and_says_what_it_read(
    bot: Harness, alice: StubUser
) -> None:
    """qa20: «hồ sơ của tôi», «Sửa chức vụ» (a button of the screen before), «thôi» were
    saved as the unit; a short form read as a unit of the list was not said; «sửa lại trong
    /profile» was said inside /profile."""
    await register(bot, alice)
    await bot.say(alice, "/profile")
    await bot.press(alice, "pf:edit:unit")
    assert await bot.state(alice, "profile") == "unit"
    for typed in ("hồ sơ của tôi", "Sửa chức vụ", "nộp sáng kiến"):
        await bot.say(alice, typed)
        assert bot.last_text(alice.id) == bot.t("error.not_an_answer", text=typed), typed
        assert await bot.state(alice, "profile") == "unit"
    await bot.say(alice, "thôi")
    assert await bot.state(alice, "profile") == "unit"
    await bot.say(alice, "P.QLKH")
    assert bot.t("onboarding.unit_matched", unit="Phòng Quản lý khoa học") in bot.texts(alice.id)
    await bot.press(alice, "pf:edit:unit")
    await bot.say(alice, "Trung tâm Phục vụ hành chính công tỉnh")
    button = bot.t("profile.edit_unit")
    said = bot.t("profile.unit_typed", unit="Trung tâm Phục vụ hành chính công tỉnh", button=button)
    assert said in bot.texts(alice.id)
    user = await bot.services.users.get(alice.id)
    assert user is not None
    assert user.profile.unit == "Trung tâm Phục vụ hành chính công tỉnh"


async def test_unit_number_out_of_range_keeps_step(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "unit")
    await bot.say(alice, "99")
    assert bot.last_text(alice.id) == bot.t("error.choice_range", count=len(bot.services.units))
    assert await bot.state(alice, "profile") == "unit"


@pytest.mark.parametrize(
    ("step", "bad", "error"),
    [
        ("full_name", "A", "error.name_short"),
        ("full_name", "Nguyễn Văn 3", "error.name_chars"),
        ("full_name", "x" * 81, "error.too_long"),
        ("position", "!!", "error.text_short"),
        ("phone", "12345", "error.phone"),
        ("phone", "abc0912345678", "error.phone"),
        ("consent", "có lẽ", "error.choose_button"),
    ],
)
async def test_bad_input_gets_a_clear_message_and_keeps_the_step(
    bot: Harness, alice: StubUser, step: str, bad: str, error: str
) -> None:
    await to_step(bot, alice, step)
    await bot.say(alice, bad)
    assert bot.last_text(alice.id).startswith(bot.t(error, limit=80, length=len(bad))[:20])
    assert await bot.state(alice, "profile") == step


async def test_user_text_is_escaped_when_echoed(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "unit")
    await bot.say(alice, "<b>Phòng</b> & <i>Ban</i>")
    await bot.say(alice, "<script>alert</script> Cán bộ")
    await bot.press(alice, "pf:skip")
    summary = bot.last_text(alice.id)
    assert "&lt;b&gt;Phòng&lt;/b&gt; &amp; &lt;i&gt;Ban&lt;/i&gt;" in summary
    assert "<script>" not in summary


async def test_non_text_at_a_text_step_keeps_the_step(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "full_name")
    await bot.send_raw(
        alice,
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "u1",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
    )
    assert bot.texts(alice.id)[-2] == bot.t("error.expect_text")
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_full_name")
    assert await bot.state(alice, "profile") == "full_name"


async def test_declining_consent_keeps_no_profile(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/start")
    await bot.press(alice, "pf:no")
    assert bot.last_text(alice.id) == bot.t("onboarding.declined")
    assert await bot.state(alice, "profile") is None
    assert await bot.db_value("SELECT accepted FROM consents WHERE user_id=?", alice.id) == 0
    assert await bot.db_value("SELECT count(*) FROM drafts") == 0


async def test_edit_from_confirmation(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "phone")
    await bot.press(alice, "pf:skip")
    await bot.press(alice, "pf:edit:position")
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_position")
    await bot.say(alice, "Chánh Văn phòng")
    assert await bot.state(alice, "profile") == "confirm"  # the other answers are kept
    assert "Chánh Văn phòng" in bot.last_text(alice.id)
    assert "Lê Thị Hoa" in bot.last_text(alice.id)


async def test_registered_person_gets_menu_on_start(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    mark = bot.mark()
    await bot.say(alice, "/start")
    texts = bot.texts_since(mark, alice.id)
    assert texts[0] == bot.t("start.welcome_back", name="Trần Văn Bình")
    assert texts[1].startswith(bot.t("menu.title"))
    assert [d for _, d in bot.buttons(alice.id)] == [
        "menu:initiative",
        "menu:my_initiatives",
        "menu:ask",
        "menu:profile",
        "menu:my_events",
        "menu:language",
        "menu:help",
    ]


async def test_profile_edit_saves_at_once(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    await bot.say(alice, "/profile")
    assert await bot.state(alice, "profile") == "edit"
    await bot.say(alice, "sửa số điện thoại")
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_phone")
    await bot.say(alice, "0912.000.111")
    assert await bot.db_value("SELECT phone FROM users WHERE user_id=?", alice.id) == "0912000111"
    assert await bot.state(alice, "profile") == "edit"
    await bot.press(alice, "pf:done")
    assert await bot.state(alice, "profile") is None


async def test_editing_the_phone_keeps_it_unless_removed(bot: Harness, alice: StubUser) -> None:
    """Editing a saved number: "bỏ qua" or «Giữ nguyên» keeps it (a change of mind loses
    nothing); «Xóa số điện thoại» (pressed, or "xóa") removes it."""
    await register(bot, alice)
    await bot.say(alice, "/profile")
    await bot.say(alice, "sửa số điện thoại")
    await bot.say(alice, "0912.000.111")
    phone = "SELECT phone FROM users WHERE user_id=?"
    for keep in ("bỏ qua", "giữ nguyên", "1", "pf:keep"):
        await bot.say(alice, "sửa số điện thoại")
        assert bot.last_text(alice.id) == bot.t("onboarding.ask_phone_edit", phone="0912000111")
        if keep.startswith("pf:"):
            await bot.press(alice, keep)
        else:
            await bot.say(alice, keep)
        assert await bot.db_value(phone, alice.id) == "0912000111", keep
        assert await bot.state(alice, "profile") == "edit"
    await bot.say(alice, "sửa số điện thoại")
    await bot.say(alice, "xóa")
    assert await bot.db_value(phone, alice.id) is None
    await bot.say(alice, "sửa số điện thoại")  # no number now: the question of onboarding
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_phone")
    await bot.press(alice, "pf:skip")
    assert await bot.db_value(phone, alice.id) is None


async def test_navigation_words_typed_outside_a_flow(bot: Harness, alice: StubUser) -> None:
    """ "menu", "trợ giúp", "English", "hủy"... are not questions for the documents."""
    await register(bot, alice)
    await bot.say(alice, "Menu")
    assert bot.last_text(alice.id).startswith(bot.t("menu.title"))
    await bot.say(alice, "tro giup")
    assert bot.last_text(alice.id).startswith(bot.t("help.staff"))
    await bot.say(alice, "hủy")
    assert bot.last_text(alice.id) == bot.t("flow.nothing_to_cancel")
    await bot.say(alice, "thôi")
    assert bot.last_text(alice.id) == bot.t("flow.nothing_to_cancel")
    await bot.say(alice, "xong")  # qa16: not «nothing to cancel» (nobody asked to cancel)
    assert bot.last_text(alice.id) == bot.t("flow.nothing_to_finish")
    await bot.say(alice, "sáng kiến của tôi")  # /my_initiatives, not «Hội nghị của tôi»
    assert bot.last_text(alice.id).startswith(bot.t("my.none"))
    await bot.say(alice, "Cài đặt")
    assert bot.last_text(alice.id).startswith(bot.t("settings.title", state="x").split("<")[0])
    for not_an_item in ("so hoa ho so", "đã nộp"):  # near a label, not one: questions
        await bot.say(alice, not_an_item)
        assert await bot.state(alice, "profile") is None, not_an_item
        assert await bot.state(alice, "initiative") is None, not_an_item
    for bare in ("không đồng ý", "dạ có ạ", "xin cam đoan"):  # an answer to nothing: no question
        await bot.say(alice, bare)
        assert bot.t("fallback.text") in bot.texts(alice.id)[-2:], bare
    assert await bot.db_value("SELECT count(*) FROM office_questions") == 0
    await bot.say(alice, "English")
    assert bot.last_text(alice.id) == bot.t("language.ask")
    for unclear in ("3", "abc"):  # qa20: said in both languages, as the question is
        await bot.say(alice, unclear)
        assert bot.last_text(alice.id) == bot.t("language.unclear")
        assert "English" in bot.last_text(alice.id)
    await bot.say(alice, "2")
    assert bot.last_text(alice.id) == bot.t("language.changed", "en")


async def test_menu_typed_choice_opens_profile(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    await bot.say(alice, "ho so")
    assert await bot.state(alice, "profile") == "edit"
    await bot.say(alice, "xong")
    # "4" long after the menu (registration's): the menu again, not its fourth item at once
    await bot.say(alice, "4")
    assert await bot.state(alice, "profile") is None
    assert bot.last_text(alice.id).startswith(bot.t("menu.which_number", n="4"))
    assert bot.t("menu.title") in bot.last_text(alice.id)
    await bot.say(alice, "4")  # right after the menu: its fourth item
    assert await bot.state(alice, "profile") == "edit"


async def test_menu_items_by_their_longer_names_and_from_the_language_question(
    bot: Harness, alice: StubUser
) -> None:
    """qa19: «hướng dẫn sử dụng» and «xem hồ sơ» went to the rules Q&A; at the language
    question (nothing half-typed), /menu was "busy" and «hồ sơ» "not understood"."""
    await register(bot, alice)
    await bot.say(alice, "huong dan su dung")
    assert bot.last_text(alice.id).startswith(bot.t("help.staff")[:40])
    await bot.say(alice, "xem ho so")
    assert await bot.state(alice, "profile") == "edit"
    await bot.say(alice, "xong")
    for typed in ("xem sáng kiến của tôi", "don cua toi"):  # qa20: went to the rules Q&A
        await bot.say(alice, typed)
        assert bot.last_text(alice.id).startswith(bot.t("my.none")[:30]), typed
    await bot.say(alice, "/language")
    assert await bot.state(alice, "language") == "choose"
    await bot.say(alice, "/menu")
    assert await bot.state(alice, "language") is None
    assert bot.t("menu.title") in bot.last_text(alice.id)
    await bot.say(alice, "/language")
    await bot.say(alice, "hồ sơ")
    assert await bot.state(alice, "language") is None
    assert await bot.state(alice, "profile") == "edit"
    await bot.say(alice, "xong")
    await bot.say(alice, "/language")
    await bot.say(alice, "tiếng anh")  # the menu's «language» item names a language here
    assert bot.last_text(alice.id) == bot.t("language.changed", "en")


# --- /cancel ---------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["consent", "full_name", "unit", "position", "phone"])
async def test_cancel_from_every_onboarding_step(bot: Harness, alice: StubUser, step: str) -> None:
    await to_step(bot, alice, step)
    await bot.say(alice, "/cancel")
    assert bot.last_text(alice.id) == bot.t("flow.cancelled")
    assert await bot.state(alice, "profile") is None
    assert await bot.db_value("SELECT count(*) FROM conversations") == 0
    assert await bot.db_value("SELECT count(*) FROM drafts") == 0


async def test_cancel_from_confirm_edit_language_and_forget(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "phone")
    await bot.press(alice, "pf:skip")
    await bot.say(alice, "/cancel")
    assert await bot.state(alice, "profile") is None
    await register(bot, alice)
    for command, flow in (
        ("/profile", "profile"),
        ("/language", "language"),
        ("/forget_me", "forget"),
    ):
        await bot.say(alice, command)
        assert await bot.state(alice, flow) is not None
        await bot.say(alice, "/cancel")
        assert await bot.state(alice, flow) is None
        assert bot.last_text(alice.id) == bot.t("flow.cancelled")
    assert await bot.db_value("SELECT count(*) FROM conversations") == 0


async def test_cancel_outside_a_flow(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/cancel")
    assert bot.last_text(alice.id) == bot.t("flow.nothing_to_cancel")


# --- one flow at a time ----------------------------------------------------------------------


async def test_other_commands_inside_a_flow_keep_it(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "position")
    mark = bot.mark()
    await bot.say(alice, "/forget_me")
    texts = bot.texts_since(mark, alice.id)
    assert texts == [bot.t("flow.busy"), bot.t("onboarding.ask_position")]
    assert await bot.state(alice, "forget") is None
    await bot.say(alice, "/start")  # resumes
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_position")
    await bot.say(alice, "/help")
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_position")
    assert await bot.state(alice, "profile") == "position"


async def test_stale_button_is_refused(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "unit")
    consent_message = next(
        c.result
        for c in bot.stub.sent(alice.id, "sendMessage")
        if "pf:yes" in str(c.params.get("reply_markup"))
    )
    await bot.press(alice, "pf:yes", message=consent_message)
    answers = bot.stub.sent(method="answerCallbackQuery")
    assert answers[-1].params.get("text") == bot.t("button.stale")
    assert await bot.state(alice, "profile") == "unit"


async def test_stale_button_outside_a_flow(bot: Harness, alice: StubUser) -> None:
    await register(bot, alice)
    message = bot.last_keyboard_message(alice.id)
    await bot.press(alice, "pf:unit:3", message=message)
    assert bot.stub.sent(method="answerCallbackQuery")[-1].params.get("text") == bot.t(
        "button.stale"
    )


# --- language ----------------------------------------------------------------------------------


async def test_language_switch_by_button_and_typed(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/language")
    await bot.press(alice, "lang:en")
    assert bot.last_text(alice.id) == bot.t("language.changed", "en")
    assert await bot.db_value("SELECT language FROM users WHERE user_id=?", alice.id) == "en"
    await bot.say(alice, "/language")
    await bot.say(alice, "tieng viet")
    assert bot.last_text(alice.id) == bot.t("language.changed", "vi")
    await bot.say(alice, "/language en")
    assert await bot.db_value("SELECT language FROM users WHERE user_id=?", alice.id) == "en"
    await bot.say(alice, "/help")
    assert bot.last_text(alice.id) == bot.t("help.staff", "en")
    commands = bot.stub.sent(method="setMyCommands")[-1]
    assert commands.params["scope"] == {"type": "chat", "chat_id": alice.id}
    assert commands.params["commands"][0]["description"] == bot.t("cmd.start", "en")


async def test_language_comes_from_telegram_when_not_chosen(bot: Harness, bob: StubUser) -> None:
    await bot.say(bob, "/start")
    assert bot.texts(bob.id)[0] == bot.t("start.welcome", "en")
    other = StubUser(1003, first_name="Hans", language_code="de")
    await bot.say(other, "/start")
    assert bot.texts(other.id)[0] == bot.t("start.welcome", "vi")  # default


async def test_language_switch_inside_a_flow_asks_again(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "position")
    mark = bot.mark()
    await bot.say(alice, "/language en")
    assert bot.texts_since(mark, alice.id) == [
        bot.t("language.changed", "en"),
        bot.t("onboarding.ask_position", "en"),
    ]
    assert await bot.state(alice, "profile") == "position"
    await bot.say(alice, "/language")
    await bot.press(alice, "lang:vi")
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_position", "vi")


async def test_a_typed_language_inside_a_flow_is_not_the_steps_answer(
    bot: Harness, alice: StubUser
) -> None:
    """Right after /language inside a flow, "2" or "English" picks the language (the step's
    question is asked again, in it); afterwards a typed "2" is the step's again."""
    await to_step(bot, alice, "position")
    await bot.say(alice, "/language")
    assert bot.last_text(alice.id) == bot.t("language.ask_inside")
    mark = bot.mark()
    await bot.say(alice, "2")
    assert bot.texts_since(mark, alice.id) == [
        bot.t("language.changed", "en"),
        bot.t("onboarding.ask_position", "en"),
    ]
    assert await bot.db_value("SELECT language FROM users WHERE user_id=?", alice.id) == "en"
    assert await bot.state(alice, "profile") == "position"
    await bot.say(alice, "/language")
    await bot.say(alice, "Tiếng Việt")
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_position", "vi")
    # Any other message ends it: the language stays, and "2" is the position typed.
    await bot.say(alice, "/language")
    await bot.say(alice, "Chuyên viên")
    await bot.say(alice, "/language")
    await bot.press(alice, "lang:vi")
    assert await bot.db_value("SELECT language FROM users WHERE user_id=?", alice.id) == "vi"
    assert await bot.state(alice, "profile") != "position"


async def test_a_typed_language_after_the_screen_ended_is_an_answer(
    bot: Harness, alice: StubUser
) -> None:
    await to_step(bot, alice, "position")
    await bot.say(alice, "/language")
    await bot.say(alice, "/help")  # another message: the language screen is over
    await bot.say(alice, "English")
    assert await bot.db_value("SELECT language FROM users WHERE user_id=?", alice.id) != "en"
    assert await bot.state(alice, "profile") != "position"  # "English" was the position


# --- roles, help and menus ---------------------------------------------------------------------


async def test_help_and_menu_are_role_aware(bot: Harness, alice: StubUser, admin: StubUser) -> None:
    await bot.say(alice, "/help")
    assert bot.t("help.admin") not in bot.last_text(alice.id)
    await bot.say(admin, "/help")
    assert bot.t("help.admin") in bot.last_text(admin.id)
    await bot.say(alice, "/menu")
    assert bot.t("menu.admin_hint") not in bot.last_text(alice.id)
    await bot.say(admin, "/menu")
    assert bot.t("menu.admin_hint") in bot.last_text(admin.id)


async def test_commands_registered_per_language_and_for_admins(bot: Harness) -> None:
    calls = bot.stub.sent(method="setMyCommands")
    scopes = [(c.params["scope"]["type"], c.params.get("language_code")) for c in calls]
    assert ("default", None) in scopes and ("default", "vi") in scopes
    assert ("default", "en") in scopes
    admin_call = next(c for c in calls if c.params["scope"].get("chat_id") == ADMIN_ID)
    names = [c["command"] for c in admin_call.params["commands"]]
    assert "grant" in names
    default_names = [c["command"] for c in calls[0].params["commands"]]
    assert "grant" not in default_names


async def test_non_admin_cannot_grant(bot: Harness, alice: StubUser, bob: StubUser) -> None:
    await bot.say(bob, "/start")
    await bot.say(alice, f"/grant {bob.id}")
    assert bot.last_text(alice.id) == bot.t("admin.denied")
    assert await bot.db_value("SELECT count(*) FROM user_roles") == 0


async def test_admin_grants_and_revokes(bot: Harness, admin: StubUser, bob: StubUser) -> None:
    await bot.say(bob, "/start")
    await bot.say(bob, "/cancel")
    await bot.say(admin, "/grant @bob")  # no role: never a guess, the choices to type
    commands = "\n".join(
        bot.t("admin.grant_command", command=f"/grant {bob.id} {r}", role=bot.t(f"role.{r}"))
        for r in ("admin", "reviewer", "checker")
    )
    assert bot.last_text(admin.id) == bot.t("admin.grant_which", who="Bob", commands=Safe(commands))
    assert await bot.db_value("SELECT count(*) FROM user_roles") == 0
    await bot.say(admin, "/grant @bob admin")
    role = bot.t("role.admin")  # the role's name, not its code
    assert bot.last_text(admin.id) == bot.t("admin.granted", who="Bob", role=role)
    assert bot.last_text(bob.id) == bot.t(
        "admin.you_were_granted", "en", role=bot.t("role.admin", "en")
    )
    await bot.say(bob, "/help")
    assert bot.t("help.admin", "en") in bot.last_text(bob.id)
    await bot.say(admin, f"/revoke {bob.id}")
    assert await bot.db_value("SELECT count(*) FROM user_roles") == 0
    await bot.say(admin, "/grant")
    roles = ", ".join(f"{r} ({bot.t(f'role.{r}')})" for r in ("admin", "reviewer", "checker"))
    assert bot.last_text(admin.id) == bot.t("admin.grant_usage", roles=roles)
    await bot.say(admin, "/grant @nobody")
    assert bot.last_text(admin.id) == bot.t("admin.user_unknown", who="@nobody")
    await bot.say(admin, f"/revoke {ADMIN_ID}")
    assert bot.last_text(admin.id).endswith(bot.t("admin.config_admin", who="x")[1:][-30:])
    # The role as admins say it: «xét duyệt», «người điểm danh» (the usage lists those names)
    await bot.say(admin, "/grant @bob xét duyệt")
    await bot.say(admin, "/grant @bob người điểm danh")
    granted = "SELECT group_concat(role) FROM (SELECT role FROM user_roles ORDER BY role)"
    assert await bot.db_value(granted) == "checker,reviewer"
    await bot.say(admin, "/grant @bob chủ tịch")  # no such role: the usage again
    assert bot.last_text(admin.id) == bot.t("admin.grant_usage", roles=roles)


async def test_grant_by_full_name_and_the_role_as_people_say_it(
    bot: Harness, admin: StubUser, alice: StubUser, bob: StubUser
) -> None:
    """The office knows names, not Telegram ids: a registered person's full name works (any
    accents and case), «quyền …» before the role too; a typo is forgiven in a role but never
    into the admin role; namesakes are listed with their units and ids, not guessed."""
    await register(bot, alice, "Nguyễn Thị Duyệt")  # a name that ends in a role's word
    await bot.say(admin, "/grant nguyen thi duyet quyền xét duyệt")
    assert bot.last_text(admin.id) == bot.t(
        "admin.granted", who="Nguyễn Thị Duyệt", role=bot.t("role.reviewer")
    )
    await bot.say(admin, "/grant Nguyễn Thị Duyệt")  # her whole name, no role: which one?
    assert bot.last_text(admin.id).startswith(
        bot.t("admin.grant_which", who="Nguyễn Thị Duyệt", commands="")[:20]
    )
    await bot.say(admin, f"/grant {alice.id} diem danhh")  # a typo in «điểm danh»
    roles = "SELECT group_concat(role) FROM (SELECT role FROM user_roles ORDER BY role)"
    assert await bot.db_value(roles) == "checker,reviewer"
    await bot.say(admin, f"/revoke {alice.id} checker")
    await bot.say(admin, f"/grant {alice.id} quan trj")  # never a guess into «admin»
    assert bot.last_text(admin.id).startswith(bot.t("admin.grant_usage", roles="")[:20])
    assert await bot.db_value(roles) == "reviewer"

    await register(bot, bob, "Nguyễn Thị Duyệt")  # a namesake
    await bot.say(admin, "/grant Nguyễn Thị Duyệt checker")
    said = bot.last_text(admin.id)
    assert said.startswith(
        bot.t("admin.namesakes", name="Nguyễn Thị Duyệt", people="", example="")[:25]
    )
    assert f"{alice.id}" in said and f"{bob.id}" in said and f"/grant {alice.id} …" in said
    await bot.say(admin, "/revoke Nguyễn Thị Duyệt")
    assert f"/revoke {alice.id} …" in bot.last_text(admin.id)
    assert await bot.db_value(roles) == "reviewer"
    await bot.say(admin, "/grant Trần Không Có reviewer")  # the name quoted, not the role
    assert bot.last_text(admin.id) == bot.t("admin.user_unknown", who="Trần Không Có")
    await bot.say(admin, "/grant Trần Không Có")
    assert bot.last_text(admin.id) == bot.t("admin.user_unknown", who="Trần Không Có")


async def test_grant_by_name_without_the_title_on_the_profile(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """«KS. Lê Văn Minh» registered with the title: found by the name alone, or with it."""
    await register(bot, alice, "ks. lê văn minh")
    assert await bot.db_value("SELECT full_name FROM users WHERE user_id=?", alice.id) == (
        "KS. Lê Văn Minh"
    )
    await bot.say(admin, "/grant Lê Văn Minh xét duyệt")
    assert bot.last_text(admin.id) == bot.t(
        "admin.granted", who="KS. Lê Văn Minh", role=bot.t("role.reviewer")
    )
    await bot.say(admin, "/revoke KS. Lê Văn Minh")
    roles = "SELECT count(*) FROM user_roles WHERE user_id = ?"
    assert await bot.db_value(roles, alice.id) == 0


async def test_revoke_without_a_role_never_guesses(
    bot: Harness, admin: StubUser, bob: StubUser
) -> None:
    """/revoke without a role: nothing granted, said; one role, revoked and the person told in
    their language; several, listed with how to pick one. A wrong role lists what they have."""
    await bot.say(bob, "/start")
    await bot.say(bob, "/cancel")
    await bot.say(admin, "/start")
    await bot.say(admin, "/cancel")
    await bot.say(admin, "/revoke @bob")
    assert bot.last_text(admin.id) == bot.t("admin.no_roles", who="Bob")
    await bot.say(admin, "/grant @bob reviewer")
    await bot.say(admin, "/grant @bob checker")
    await bot.say(admin, "/revoke @bob")
    roles = f"reviewer ({bot.t('role.reviewer')}), checker ({bot.t('role.checker')})"
    assert bot.last_text(admin.id) == bot.t(
        "admin.revoke_which", who="Bob", roles=roles, command=f"/revoke {bob.id}"
    )
    assert await bot.db_value("SELECT count(*) FROM user_roles WHERE user_id=?", bob.id) == 2
    await bot.say(admin, "/revoke @bob admin")
    assert bot.last_text(admin.id) == bot.t(
        "admin.not_granted_has", who="Bob", role=bot.t("role.admin"), roles=roles
    )
    await bot.say(admin, "/revoke @bob checker")
    assert bot.last_text(admin.id) == bot.t("admin.revoked", who="Bob", role=bot.t("role.checker"))
    assert bot.last_text(bob.id) == bot.t(
        "admin.you_were_revoked", "en", role=bot.t("role.checker", "en")
    )
    await bot.say(admin, "/revoke @bob")  # the one left
    assert bot.last_text(admin.id) == bot.t("admin.revoked", who="Bob", role=bot.t("role.reviewer"))
    assert bot.last_text(bob.id) == bot.t(
        "admin.you_were_revoked", "en", role=bot.t("role.reviewer", "en")
    )
    assert await bot.db_value("SELECT count(*) FROM user_roles WHERE user_id=?", bob.id) == 0
    await bot.say(admin, f"/revoke {ADMIN_ID}")  # an admin by configuration
    assert bot.last_text(admin.id).endswith("(ADMIN_IDS); không thu hồi được bằng lệnh.")


# --- deep links --------------------------------------------------------------------------------


async def test_deep_links(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/start help")
    assert bot.last_text(alice.id) == bot.t("help.staff")
    await bot.say(alice, "/start profile")  # not registered yet: onboarding
    assert await bot.state(alice, "profile") == "consent"
    await bot.say(alice, "/cancel")
    for garbage in ("rsvp_doesnotexist", "%%%", "x" * 300):
        mark = bot.mark()
        await bot.say(alice, f"/start {garbage}")
        assert bot.texts_since(mark, alice.id)[0] == bot.t("link.invalid")
        await bot.say(alice, "/cancel")
    await register(bot, alice)
    mark = bot.mark()
    await bot.say(alice, "/start nonsense")
    texts = bot.texts_since(mark, alice.id)
    assert texts[0] == bot.t("link.invalid")
    assert texts[-1].startswith(bot.t("menu.title"))
    await bot.say(alice, "/start profile")
    assert await bot.state(alice, "profile") == "edit"


# --- unknown input outside flows ---------------------------------------------------------------


async def test_unknown_command_and_text(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/nonexistent")
    assert bot.last_text(alice.id) == bot.t("fallback.unknown_command")
    await bot.say(alice, "xin chào")
    assert bot.texts(alice.id)[-2] == bot.t("kb.hello")
    await bot.say(alice, "một câu không có nghĩa gì hết xyz")
    assert bot.texts(alice.id)[-1] != bot.t("kb.hello")


# --- forget me ---------------------------------------------------------------------------------


async def test_forget_me_deletes_personal_data(
    bot: Harness,
    alice: StubUser,
    admin: StubUser,
) -> None:
    await register(bot, alice)
    await bot.say(admin, f"/grant {alice.id} admin")
    await bot.say(alice, "/language en")
    await bot.say(alice, "/forget_me")
    await bot.say(alice, "no")
    assert bot.last_text(alice.id) == bot.t("forget.kept", "en")
    assert await bot.db_value("SELECT count(*) FROM users WHERE user_id=?", alice.id) == 1
    await bot.say(alice, "/forget_me")
    await bot.press(alice, "fg:yes")
    assert bot.last_text(alice.id) == bot.t("forget.done", "en")
    for table in ("users", "user_roles", "consents", "drafts", "user_data"):
        assert await bot.db_value(f"SELECT count(*) FROM {table} WHERE user_id=?", alice.id) == 0, (
            table
        )
    assert await bot.db_value("SELECT count(*) FROM conversations") == 0
    # Talking again starts from scratch, in Telegram's language.
    await bot.say(alice, "/start")
    assert bot.texts(alice.id)[-2] == bot.t("start.welcome")


async def test_forget_me_from_the_profile_screen_that_suggests_it(
    bot: Harness, alice: StubUser
) -> None:
    """The profile screen says "to delete all your data, type /forget_me": typed there, it is
    asked (not "you are in the middle of something"); «không» keeps everything and closes the
    screen; a restart in between keeps the question; «xóa» erases."""
    await register(bot, alice)
    await bot.say(alice, "/profile")
    assert "/forget_me" in bot.last_text(alice.id)
    await bot.say(alice, "/forget_me")
    assert bot.last_text(alice.id) == bot.t("forget.ask")
    assert await bot.state(alice, "profile") == "forget"
    await bot.say(alice, "không")
    assert bot.last_text(alice.id) == bot.t("forget.kept")
    assert await bot.state(alice, "profile") is None
    assert await bot.db_value("SELECT count(*) FROM users WHERE user_id=?", alice.id) == 1
    assert await bot.db_value("SELECT count(*) FROM drafts") == 0

    await bot.say(alice, "/profile")
    await bot.say(alice, "/forget_me")
    await bot.restart(crash=True)
    await bot.say(alice, "/help")  # served inside; the question again
    assert bot.last_text(alice.id) == bot.t("forget.ask")
    await bot.press(alice, "fg:yes")
    assert bot.last_text(alice.id) == bot.t("forget.done")
    assert await bot.db_value("SELECT count(*) FROM users WHERE user_id=?", alice.id) == 0
    assert await bot.state(alice, "profile") is None
    assert await bot.db_value("SELECT count(*) FROM conversations") == 0
    await bot.say(alice, "/start")
    assert bot.texts(alice.id)[-2] == bot.t("start.welcome")


@pytest.mark.parametrize("typed", ["ok", "OK", "xong rồi", "Xong", "đóng"])
async def test_ok_closes_the_profile_screen(bot: Harness, alice: StubUser, typed: str) -> None:
    await register(bot, alice)
    await bot.say(alice, "/profile")
    await bot.say(alice, typed)
    assert bot.last_text(alice.id) == bot.t("profile.closed")
    assert await bot.state(alice, "profile") is None


async def test_another_command_on_the_profile_screen_runs(bot: Harness, alice: StubUser) -> None:
    """Every change on the profile screen is saved: /sangkien (or «nộp sáng kiến») there
    closes it and opens the form (not "you are in the middle of something"); /help and «hồ sơ»
    stay on the screen."""
    await register(bot, alice)
    await bot.say(alice, "/profile")
    await bot.say(alice, "/help")
    assert await bot.state(alice, "profile") == "edit"
    mark = bot.mark()
    await bot.say(alice, "/sangkien")
    replies = bot.texts_since(mark, alice.id)
    assert bot.t("flow.busy") not in replies
    assert await bot.state(alice, "profile") is None
    assert await bot.state(alice, "initiative") is not None
    assert any("Mục 1/" in text for text in replies)
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/profile")
    await bot.say(alice, "/my_initiatives")
    assert bot.last_text(alice.id) == f"{bot.t('my.none')}\n\n{bot.t('my.draft')}"
    assert await bot.state(alice, "profile") is None
    # A menu item's name does the same; «hồ sơ» is this very screen.
    await bot.say(alice, "/profile")
    screen = bot.last_text(alice.id)
    await bot.say(alice, "hồ sơ")
    assert bot.last_text(alice.id) == screen
    await bot.say(alice, "nop sang kien")
    assert await bot.state(alice, "profile") is None
    assert await bot.state(alice, "initiative") is not None


async def test_a_negated_answer_never_erases(bot: Harness, alice: StubUser) -> None:
    """«đừng xóa…», «k đồng ý», «chưa xóa» are not «Xóa»: asked again, nothing erased."""
    await register(bot, alice)
    await bot.say(alice, "/forget_me")
    for typed in ("đừng xóa dữ liệu của tôi", "dung xoa du lieu cua toi", "k đồng ý", "chưa xóa"):
        await bot.say(alice, typed)
        assert await bot.state(alice, "forget") == "confirm", typed
    assert await bot.db_value("SELECT count(*) FROM users WHERE user_id=?", alice.id) == 1
    await bot.say(alice, "ko")  # «không»: kept
    assert bot.last_text(alice.id) == bot.t("forget.kept")
    assert await bot.db_value("SELECT count(*) FROM users WHERE user_id=?", alice.id) == 1


# --- restarts, crashes and redelivery ----------------------------------------------------------


async def test_restart_resumes_at_the_same_step(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "position")
    await bot.restart(crash=True)
    assert await bot.state(alice, "profile") == "position"
    await bot.say(alice, "Kế toán")
    assert await bot.state(alice, "profile") == "phone"
    await bot.press(alice, "pf:skip")
    summary = bot.last_text(alice.id)
    assert "Lê Thị Hoa" in summary and "Kế toán" in summary


async def test_answer_saved_before_the_reply(bot: Harness, alice: StubUser) -> None:
    """A crash right after the bot replied loses nothing, even without a persistence flush."""
    await to_step(bot, alice, "unit")
    failures: list[str] = []

    def crash_on_reply(method: str, params: dict[str, object], result: object) -> None:
        if method == "sendMessage":
            failures.append(str(params.get("text")))
            raise SystemExit("kill -9")  # the process dies while replying

    bot.stub.listeners.append(crash_on_reply)
    with pytest.raises(BaseException):  # noqa: B017 - the crash itself
        await bot.say(alice, "3")
    bot.stub.listeners.remove(crash_on_reply)
    await bot.restart(crash=True)
    assert await bot.state(alice, "profile") == "position"
    draft = await bot.services.profile.draft(alice.id)
    assert draft["unit"] == bot.services.units[2]


async def test_redelivered_update_is_not_applied_twice(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "full_name")
    update = await bot.say(alice, "Phạm Minh Tuấn")
    assert await bot.state(alice, "profile") == "unit"
    await bot.restart(crash=True)
    mark = bot.mark()
    await bot.feed(update)  # Telegram delivers it again after the crash
    assert bot.texts_since(mark, alice.id) == []
    assert await bot.state(alice, "profile") == "unit"
    draft = await bot.services.profile.draft(alice.id)
    assert draft["full_name"] == "Phạm Minh Tuấn"


async def test_redelivered_during_the_same_run_is_not_applied_twice(
    bot: Harness, alice: StubUser
) -> None:
    """A webhook retry: the same update again, without a restart."""
    await to_step(bot, alice, "full_name")
    update = await bot.say(alice, "Phạm Minh Tuấn")
    mark = bot.mark()
    await bot.feed(update)
    assert bot.texts_since(mark, alice.id) == []
    assert await bot.state(alice, "profile") == "unit"


async def test_only_updates_not_newer_than_every_processed_one_are_looked_up(
    bot: Harness, alice: StubUser
) -> None:
    """Update ids grow: one above the highest processed id is new without a query."""
    update = await bot.say(alice, "/start")
    flows = bot.services.flows
    lookups: list[int] = []
    original = bot.services.db.lookup

    def counting() -> object:
        lookups.append(1)
        return original()

    bot.services.db.lookup = counting  # type: ignore[method-assign]
    try:
        assert not await flows.is_processed(update["update_id"] + 1)
        assert lookups == []
        assert await flows.is_processed(update["update_id"])
        assert len(lookups) == 1
    finally:
        bot.services.db.lookup = original  # type: ignore[method-assign]
    await bot.restart(crash=True)  # the highest id is read again at start
    flows = bot.services.flows
    assert await flows.is_processed(update["update_id"])
    assert not await flows.is_processed(update["update_id"] + 1)


async def test_different_people_are_processed_concurrently(bot: Harness) -> None:
    """50 people register at once: every answer lands in the right draft, every profile is
    complete (reads never see a stale snapshot of another task's write)."""
    import asyncio

    people = [StubUser(5000 + i, first_name=f"U{i}") for i in range(50)]

    async def one(i: int, person: StubUser) -> None:
        await bot.say(person, "/start")
        await bot.press(person, "pf:yes")
        await bot.say(person, f"Người Thứ {chr(65 + i % 26)}{chr(97 + i // 26)}")
        await bot.say(person, str(1 + i % 5))
        await bot.say(person, "Chuyên viên")
        await bot.say(person, "bỏ qua")
        await bot.say(person, "xác nhận")

    await asyncio.gather(*(one(i, p) for i, p in enumerate(people)))
    assert await bot.db_value("SELECT count(*) FROM users WHERE registered_at IS NOT NULL") == 50
    assert await bot.db_value("SELECT count(*) FROM drafts") == 0
    assert await bot.db_value("SELECT count(*) FROM conversations") == 0
    unit = await bot.db_value("SELECT unit FROM users WHERE user_id = ?", 5007)
    assert unit == bot.services.units[7 % 5]
    for person in people:
        assert bot.texts(person.id)[-1].startswith(bot.t("menu.title"))


# --- groups and edits ------------------------------------------------------------------------


async def test_in_a_group_the_bot_points_to_the_private_chat(bot: Harness, alice: StubUser) -> None:
    group = -100777
    await bot.say(alice, "/start", chat_id=group)
    assert bot.last_text(group) == bot.t("group.private_only")
    markup = bot.stub.sent(group, "sendMessage")[-1].params["reply_markup"]
    assert markup["inline_keyboard"][0][0]["url"].endswith("?start=menu")
    mark = bot.mark()
    await bot.say(alice, "xin chào cả nhà", chat_id=group)  # plain chatter: silence
    assert bot.texts_since(mark, group) == []
    assert await bot.db_value("SELECT count(*) FROM conversations") == 0


async def test_an_edited_message_is_not_an_answer(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "full_name")
    message = bot.stub.user_message(alice, "Đặng Thu Hà")["message"]
    edited = bot.stub.user_message(alice, None)  # a fresh update id
    edited.pop("message")
    edited["edited_message"] = {**message, "text": "Đặng Thu Hằng", "edit_date": 1}
    mark = bot.mark()
    await bot.feed(edited)
    assert bot.texts_since(mark, alice.id) == [bot.t("flow.edited")]  # not believed saved
    assert await bot.state(alice, "profile") == "full_name"
    await bot.say(alice, "/cancel")
    edited["update_id"] += 100
    await bot.feed(edited)
    assert bot.last_text(alice.id) == bot.t("fallback.edited")
    group = -100777
    in_group = {**edited, "update_id": edited["update_id"] + 1}
    in_group["edited_message"] = {
        **edited["edited_message"],
        "chat": {"id": group, "type": "group"},
    }
    mark = bot.mark()
    await bot.feed(in_group)
    assert bot.texts_since(mark, group) == []  # silence in groups


async def test_typed_number_of_the_skip_button(bot: Harness, alice: StubUser) -> None:
    await to_step(bot, alice, "phone")
    await bot.say(alice, "1")  # [1] Bỏ qua
    assert await bot.state(alice, "profile") == "confirm"
    assert (await bot.services.profile.draft(alice.id))["phone"] is None


async def test_summary_and_profile_take_the_words_people_type(
    bot: Harness, alice: StubUser, bob: StubUser
) -> None:
    """«có»/«lưu» confirm the registration summary; «đơn vị», «sđt» open those fields on the
    profile screen; "events" names the conference item in English."""
    await to_step(bot, alice, "phone")
    await bot.say(alice, "bỏ qua")
    await bot.say(alice, "lưu")
    assert await bot.state(alice, "profile") is None
    assert await bot.db_value("SELECT unit FROM users WHERE user_id = ?", alice.id)
    await bot.say(alice, "/profile")
    await bot.say(alice, "đơn vị")
    assert await bot.state(alice, "profile") == "unit"
    await bot.say(alice, "qlkh")
    await bot.say(alice, "sđt")
    assert await bot.state(alice, "profile") == "phone"
    await bot.say(alice, "0912345678")
    await bot.say(alice, "thoát")  # closes the screen: the edits are saved
    row = await bot.db_row("SELECT unit, phone FROM users WHERE user_id = ?", alice.id)
    assert row == {"unit": "Phòng Quản lý khoa học", "phone": "0912345678"}
    await register(bot, bob, "Bob Trần")
    mark = bot.mark()
    await bot.say(bob, "events")
    assert bot.texts_since(mark, bob.id) == [bot.t("rsvp.my_none", "en")]


@pytest.mark.parametrize(
    ("command", "flow", "key"),
    [
        ("/broadcast", "broadcast", "broadcast.help_inside"),
        ("/event_edit", "event_edit", "events.edit.help_inside"),
        ("/event_delete", "event_delete", "events.delete.help_inside"),
        ("/faq_add", "faq_add", "kb.faq.help_inside"),
    ],
)
async def test_help_inside_an_office_flow_explains_that_flow(
    bot: Harness, admin: StubUser, command: str, flow: str, key: str
) -> None:
    """/help inside a flow says what the flow is and its words, then asks the question again."""
    await bot.say(admin, command)
    step = await bot.state(admin, flow)
    question = bot.last_text(admin.id)
    assert step is not None
    await bot.say(admin, "/help")
    assert bot.texts(admin.id)[-2:] == [bot.t(key), question]
    assert await bot.state(admin, flow) == step
