from __future__ import annotations

from bot.tg.stub_api import StubUser
from tests.harness import Harness


async def test_onboarding_happy_path(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/start")
    assert bot.t("onboarding.consent") in bot.texts(alice.id)[-1]
    await bot.press(alice, "pf:yes")
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_full_name")
    await bot.say(alice, "nguyễn thị lan")
    await bot.say(alice, "1")
    await bot.say(alice, "Chuyên viên")
    await bot.say(alice, "bỏ qua")
    assert "Nguyễn Thị Lan" in bot.last_text(alice.id)
    await bot.say(alice, "xác nhận")
    row = await bot.db_row(
        "SELECT full_name, unit, position, phone, registered_at FROM users WHERE user_id = ?",
        alice.id,
    )
    assert row is not None
    assert row["full_name"] == "Nguyễn Thị Lan"
    assert row["unit"] == "Văn phòng Sở"
    assert row["position"] == "Chuyên viên"
    assert row["phone"] is None
    assert row["registered_at"]
    assert await bot.state(alice, "profile") is None


async def test_onboarding_unit_typed_as_first_words_of_several(
    bot: Harness, alice: StubUser
) -> None:
    """«văn phòng» starts two units: the bot asks which (numbered as in the whole list),
    instead of picking the shorter one fuzzily or storing «văn phòng» as typed."""
    await bot.say(alice, "/start")
    await bot.press(alice, "pf:yes")
    await bot.say(alice, "Nguyễn Thị Lan")
    await bot.say(alice, "van phong")
    assert bot.last_text(alice.id) == bot.t("onboarding.unit_which", text="van phong")
    units = list(bot.services.units)
    shown = bot.buttons(alice.id)
    assert shown == [
        (f"{i + 1}. {unit}", f"pf:unit:{i}")
        for i, unit in enumerate(units)
        if unit.startswith("Văn phòng")
    ]
    assert len(shown) == 2
    await bot.say(alice, "ubnd")  # the word that tells them apart
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_position")
    await bot.say(alice, "Chuyên viên")
    await bot.say(alice, "bỏ qua")
    await bot.say(alice, "xác nhận")
    unit = await bot.db_value("SELECT unit FROM users WHERE user_id = ?", alice.id)
    assert unit == "Văn phòng UBND tỉnh"
    # From the profile: «văn phòng» again, then its number in the whole list
    await bot.say(alice, "/profile")
    await bot.press(alice, "pf:edit:unit")
    await bot.say(alice, "văn phòng")
    await bot.say(alice, shown[0][0].split(".")[0])
    await bot.say(alice, "xong")
    unit = await bot.db_value("SELECT unit FROM users WHERE user_id = ?", alice.id)
    assert unit == "Văn phòng Sở"


async def test_onboarding_refuses_words_that_steer_and_stops_on_huy(
    bot: Harness, alice: StubUser
) -> None:
    """«bỏ qua», «quay lại» are no name, unit or position (they were saved as such); «hủy»
    or «thoát» stops, as /cancel does."""
    await bot.say(alice, "/start")
    await bot.press(alice, "pf:yes")
    for typed in ("bỏ qua", "quay lại", "tiếp tục"):
        await bot.say(alice, typed)
        assert bot.last_text(alice.id) == bot.t("error.not_an_answer", text=typed)
    await bot.say(alice, "Nguyễn Thị Lan")
    await bot.say(alice, "không")  # the unit
    assert bot.last_text(alice.id) == bot.t("error.not_an_answer", text="không")
    await bot.say(alice, "vp sở")  # a short form
    await bot.say(alice, "menu")  # the position
    assert bot.last_text(alice.id) == bot.t("error.not_an_answer", text="menu")
    await bot.say(alice, "Hủy")
    assert bot.last_text(alice.id) == bot.t("flow.cancelled")
    assert await bot.state(alice, "profile") is None
    await bot.say(alice, "/start")  # starts again (the consent stays given)
    assert bot.last_text(alice.id) == bot.t("onboarding.ask_full_name")
    await bot.say(alice, "em xin hủy")  # a phrase of stopping: never a name
    assert bot.last_text(alice.id) == bot.t("flow.cancelled")
    await bot.say(alice, "/start")
    await bot.say(alice, "I want to cancel")  # nor in English
    assert bot.last_text(alice.id) == bot.t("flow.cancelled")
    await bot.say(alice, "/start")
    await bot.say(alice, "Em Huy")  # a name (folded, «huy» is «hủy»): not a stop
    assert await bot.state(alice, "profile") == "unit"
