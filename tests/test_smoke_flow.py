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
