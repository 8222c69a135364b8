"""A number no record can have (20 digits: more than SQLite's 64-bit integer holds), typed by an
admin or forged in a button's data by anyone, is "not found" or a stale button, never a crash."""

from __future__ import annotations

import pytest

from bot.domain.text import as_id
from bot.tg.stub_api import StubUser
from tests.harness import Harness
from tests.initiative_fixtures import register

BIG = "9" * 20


def test_as_id_takes_what_sqlite_can_hold() -> None:
    assert as_id("7") == 7 and as_id("9" * 18) == 10**18 - 1
    assert as_id("9" * 19) is None and as_id("") is None and as_id("-1") is None
    assert as_id("١٢") is None  # digits, but not ASCII ones


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        (f"/review {BIG}", "initiative.not_found"),
        (f"/my_initiatives {BIG}", "initiative.not_found"),
        (f"/reply {BIG} xin chào", "kb.office.reply_usage"),
    ],
)
async def test_a_typed_huge_id_is_not_found(
    bot: Harness, admin: StubUser, typed: str, key: str
) -> None:
    await register(bot, admin, "Quản Trị Viên")
    await bot.say(admin, typed)
    assert bot.last_text(admin.id) == bot.t(key)


async def test_grant_to_a_huge_id_is_an_unknown_person(bot: Harness, admin: StubUser) -> None:
    await register(bot, admin, "Quản Trị Viên")
    await bot.say(admin, f"/grant {BIG}")
    assert BIG in bot.last_text(admin.id)
    assert bot.last_text(admin.id) != bot.t("error.generic")


@pytest.mark.parametrize(
    "data",
    [
        *(f"my:o:{BIG}", f"ini:docx:{BIG}", f"rv:o:{BIG}", f"rv:a:{BIG}", f"rv:m:{BIG}:reviewing"),
        *(f"kb:faq:{BIG}", f"kb:s:{BIG}", f"rp:y:{BIG}", f"ini:amend:{BIG}", f"bcl:o:{BIG}"),
    ],
)
async def test_a_forged_huge_id_in_a_button_is_stale(
    bot: Harness, admin: StubUser, alice: StubUser, data: str
) -> None:
    await register(bot, admin, "Quản Trị Viên")
    await register(bot, alice, "Nguyễn Thị Lan")
    for person in (alice, admin):
        await bot.say(person, "/menu")
        menu = bot.last_keyboard_message(person.id)
        await bot.press(person, data, message=menu)
        shown = [
            c.params.get("text") for c in bot.stub.calls if c.params.get("chat_id") == person.id
        ]
        assert bot.t("error.generic") not in shown
