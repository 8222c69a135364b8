"""The review side of initiatives (issue 4): ``/review`` for the office (admins and reviewers),
the comment conversation, notifications to the author in their language, and the person's own
``/my_initiatives`` (details, history, withdraw, the "Sửa và nộp lại" button)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest

from bot.domain.initiative import Initiative, Status
from bot.i18n import Safe
from bot.services.broadcasts import Notice, Notify, Queued
from bot.services.flows import StepRef
from bot.services.initiatives import InitiativeError, Moved
from bot.tg.commands import command_list
from bot.tg.stub_api import JSON, StubUser
from handlers import menu
from handlers import review as review_handlers
from tests.harness import ADMIN_ID, Harness
from tests.initiative_fixtures import CONFIDENTIAL, register, resubmit, submit_initiative
from tests.test_initiative_flow import fill_until_review

STICKER: JSON = {
    "sticker": {
        "file_id": "s1",
        "file_unique_id": "u1",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
}
ADMIN_NAME = "Phạm Văn Quản"
CAROL = StubUser(1003, first_name="Carol", language_code="vi")


async def office(bot: Harness, admin: StubUser) -> None:
    """The admin, registered (their name goes into the history)."""
    await register(bot, admin, ADMIN_NAME, unit=0)


def status(bot: Harness, value: Status, locale: str = "vi") -> str:
    return bot.t(f"initiative.status.{value.value}", locale)


async def row(bot: Harness, initiative_id: int) -> dict[str, Any] | None:
    return await bot.db_row(
        "SELECT status, last_comment FROM initiatives WHERE id = ?", initiative_id
    )


async def history(bot: Harness, initiative_id: int) -> list[tuple[Any, ...]]:
    async with (
        bot.services.db.read() as conn,
        conn.execute(
            "SELECT actor_id, actor_name, from_status, to_status, comment "
            "FROM initiative_history WHERE initiative_id = ? ORDER BY id",
            (initiative_id,),
        ) as cur,
    ):
        return [tuple(r) for r in await cur.fetchall()]


def data_of(bot: Harness, chat_id: int) -> list[str]:
    return [data for _, data in bot.buttons(chat_id)]


def notice(bot: Harness, key: str, item: Initiative, locale: str, comment: str = "") -> str:
    return bot.t(
        key,
        locale,
        number=item.number,
        title=item.title,
        status=status(bot, Status(key.rsplit(".", 1)[1]), locale),
        comment=comment,
    )


async def recognise(bot: Harness, user: StubUser, item: Initiative) -> None:
    """«Công nhận», then its confirmation (a final decision is asked twice)."""
    await bot.press(user, f"rv:m:{item.id}:recognised")
    await bot.press(user, f"rv:c:{item.id}:recognised")


async def shown(bot: Harness, chat_id: int, action: Awaitable[object]) -> str:
    """Everything the bot sent to ``chat_id`` while ``action`` ran (a long screen may take
    several messages)."""
    mark = bot.mark()
    await action
    return "\n".join(bot.texts_since(mark, chat_id))


def last_answer(bot: Harness) -> str:
    """The text of the last answer to a button press (a toast or an alert)."""
    return str(bot.stub.sent(method="answerCallbackQuery")[-1].params.get("text") or "")


# --- the office's review ------------------------------------------------------------------------


async def test_review_to_needs_changes_with_comment_and_english_notification(
    bot: Harness, admin: StubUser, bob: StubUser
) -> None:
    item = await submit_initiative(bot, bob, title="Smart <meter> & dashboard", full_name="Bob An")
    await office(bot, admin)

    await bot.say(admin, "/review")
    queue = bot.last_text(ADMIN_ID)
    assert item.number in queue and "Smart &lt;meter&gt; &amp; dashboard" in queue
    assert f"rv:o:{item.id}" in data_of(bot, ADMIN_ID)

    detail = await shown(bot, ADMIN_ID, bot.press(admin, f"rv:o:{item.id}"))
    assert CONFIDENTIAL in detail  # an admin sees the confidential field
    assert "ban-ve-1.pdf" in detail and "Lê Văn Minh" in detail
    assert data_of(bot, ADMIN_ID) == [
        f"rv:m:{item.id}:reviewing",
        f"rv:m:{item.id}:needs_changes",
        f"rv:a:{item.id}",
        f"ini:docx:{item.id}",
        "rv:q",
    ]

    await bot.press(admin, f"rv:m:{item.id}:reviewing")
    assert (await row(bot, item.id)) == {"status": "reviewing", "last_comment": None}
    moved = bot.last_text(ADMIN_ID)
    assert moved.startswith(
        bot.t("review.moved", number=item.number, status=status(bot, Status.REVIEWING))
    )
    assert bot.t("review.notice_queued") in moved  # on its way (the outbox), not "delivered"
    await bot.deliver()
    assert bot.last_text(bob.id) == notice(bot, "review.notify.reviewing", item, "en")

    # "Yêu cầu bổ sung": the comment is asked; a sticker, an empty or a too long comment is
    # refused and the question stays; /cancel leaves with nothing changed.
    await bot.press(admin, f"rv:m:{item.id}:needs_changes")
    assert await bot.state(admin, "review") == "comment"
    ask = bot.t("review.ask_comment", number=item.number, title=item.title)
    assert bot.last_text(ADMIN_ID) == ask
    await bot.send_raw(admin, STICKER)
    assert bot.texts(ADMIN_ID)[-2:] == [bot.t("error.expect_text"), ask]
    await bot.say(admin, "   ")
    assert bot.last_text(ADMIN_ID) == bot.t("error.comment_required")
    await bot.say(admin, "quá dài " * 200)
    assert bot.last_text(ADMIN_ID) == bot.t(
        "error.too_long", limit=1000, length=len(("quá dài " * 200).strip())
    )
    assert await bot.state(admin, "review") == "comment"
    # An initiative's number is no comment (qa19: it was sent to the author as one).
    # Nor with spaces, dashes from Word or none (qa20: those went to the author).
    for typed in (item.number.lower(), "SK 2026 0001", "SK2026-0001", "SK–2026–0001"):
        await bot.say(admin, typed)
        assert bot.last_text(ADMIN_ID) == bot.t(
            "review.comment_is_number", typed=item.number, number=item.number
        )
    await bot.say(admin, "/help")  # what this step is for, then the question again
    assert bot.texts(ADMIN_ID)[-2:] == [bot.t("review.help_inside"), ask]
    # A command (/review, its own too): nothing is half-typed, so the decision is dropped,
    # said so, and the command runs; the next message is not taken as a comment (qa19).
    mark = bot.mark()
    await bot.say(admin, "/review")
    since = bot.texts_since(mark, ADMIN_ID)
    assert since[0] == bot.t(
        "review.comment_dropped",
        number=item.number,
        to=status(bot, Status.NEEDS_CHANGES),
        status=status(bot, Status.REVIEWING),
    )
    assert item.number in since[1]  # the queue
    assert await bot.state(admin, "review") is None
    await bot.say(admin, item.number)  # opens it: no comment, nothing sent
    assert (await row(bot, item.id)) == {"status": "reviewing", "last_comment": None}
    await bot.press(admin, f"rv:m:{item.id}:needs_changes")
    await bot.say(admin, "/cancel")  # qa20: says that nothing moved
    assert bot.texts(ADMIN_ID)[-2:] == [since[0], bot.t("flow.cancelled")]
    assert await bot.state(admin, "review") is None
    assert (await row(bot, item.id))["status"] == "reviewing"  # type: ignore[index]
    assert len(await history(bot, item.id)) == 2

    await bot.press(admin, f"rv:m:{item.id}:needs_changes")
    comment = "Bổ sung bảng số liệu <2024> & chữ ký của đơn vị."
    await bot.say(admin, comment)
    assert await bot.state(admin, "review") is None
    assert await row(bot, item.id) == {"status": "needs_changes", "last_comment": comment}
    english = notice(bot, "review.notify.needs_changes", item, "en", comment)
    await bot.deliver()
    assert bot.last_text(bob.id) == english
    assert "&lt;2024&gt; &amp;" in english and "/my_initiatives" in english
    assert await history(bot, item.id) == [
        (bob.id, "Bob An", None, "submitted", None),
        (ADMIN_ID, ADMIN_NAME, "submitted", "reviewing", None),
        (ADMIN_ID, ADMIN_NAME, "reviewing", "needs_changes", comment),
    ]
    # Nothing more can be decided from there: only the author's amendment moves it on.
    await bot.press(admin, f"rv:o:{item.id}")
    assert data_of(bot, ADMIN_ID) == [f"rv:a:{item.id}", f"ini:docx:{item.id}", "rv:q"]
    assert "&lt;2024&gt;" in bot.last_text(ADMIN_ID)  # in the history


async def test_a_decision_is_typed_by_its_label_never_by_a_hidden_number(
    bot: Harness, admin: StubUser, bob: StubUser, alice: StubUser
) -> None:
    """Every button has a typed fallback: "Yêu cầu bổ sung" typed by its label asks for the
    comment, as the button does. The decisions carry no number: on one initiative's screen a
    typed number means the list's item (opening another one), never a hidden decision."""
    other = await submit_initiative(bot, alice, title="Sổ tay điện tử cho cán bộ một cửa")
    item = await submit_initiative(bot, bob)
    await office(bot, admin)
    await bot.press(admin, f"rv:m:{item.id}:reviewing")
    await bot.press(admin, "rv:q")
    await bot.say(admin, "2")  # the queue's second item
    assert any(t.startswith(f"<b>{item.number}</b>") for t in bot.texts(ADMIN_ID)[-3:])
    await bot.say(admin, "1")  # the queue's first item: opened, nothing decided
    assert any(t.startswith(f"<b>{other.number}</b>") for t in bot.texts(ADMIN_ID)[-3:])
    assert await row(bot, other.id) == {"status": "submitted", "last_comment": None}
    assert await row(bot, item.id) == {"status": "reviewing", "last_comment": None}
    await bot.say(admin, "2")
    await bot.say(admin, "yêu cầu bổ sung")
    assert await bot.state(admin, "review") == "comment"
    assert bot.last_text(ADMIN_ID) == bot.t(
        "review.ask_comment", number=item.number, title=item.title
    )
    await bot.say(admin, "Bổ sung số liệu.")
    assert await row(bot, item.id) == {
        "status": "needs_changes",
        "last_comment": "Bổ sung số liệu.",
    }


async def test_recognised_and_not_recognised_with_reason(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    first = await submit_initiative(bot, alice, title="Sổ tay điện tử cho cán bộ một cửa")
    second = await submit_initiative(bot, alice, title="Ứng dụng nhắc hạn hồ sơ")
    await office(bot, admin)
    for item in (first, second):
        await bot.press(admin, f"rv:m:{item.id}:reviewing")

    await recognise(bot, admin, first)
    assert (await row(bot, first.id))["status"] == "recognised"  # type: ignore[index]
    await bot.deliver()
    assert bot.last_text(alice.id) == notice(bot, "review.notify.recognised", first, "vi")

    await bot.press(admin, f"rv:m:{second.id}:not_recognised")
    ask = bot.t("review.ask_reason", number=second.number, title=second.title)
    assert bot.last_text(ADMIN_ID) == ask
    await bot.say(admin, " \u200b ")  # nothing but blanks: a reason is required
    assert bot.last_text(ADMIN_ID) == bot.t("error.comment_required")
    # A button's name typed here is a change of mind or a slip, never the reason.
    for typed, key in (("công nhận", "review.btn.recognised"), ("Xem hồ sơ", "review.btn.open")):
        await bot.say(admin, typed)
        said = bot.t("review.reason_is_button", label=bot.t(key), number=second.number)
        assert bot.last_text(ADMIN_ID) == said
        assert await bot.state(admin, "review") == "comment"
        assert (await row(bot, second.id))["status"] == "reviewing"  # type: ignore[index]
    for typed in ("x", "Sai!", " a-b "):  # tells the author nothing (qa18)
        await bot.say(admin, typed)
        assert bot.last_text(ADMIN_ID) == bot.t("error.comment_short", minimum=5)
        assert await bot.state(admin, "review") == "comment"
    assert (await row(bot, second.id))["status"] == "reviewing"  # type: ignore[index]
    # The reason is shown once more before the final decision (qa19: «ko dat» went out at
    # once): «Sửa lý do» asks again, a word that is none of the buttons asks again, the
    # confirmation survives a crash, and a button of another initiative's question is stale.
    # A final refusal needs a sentence (qa20: «ko dat», an initiative's number with spaces).
    for typed in ("ko dat", "chưa tốt", "ko đạt ạ"):
        await bot.say(admin, typed)
        assert bot.last_text(ADMIN_ID) == bot.t("error.reason_short", words=3)
    for typed in ("SK 2026 0002", "sk2026-0002", "SK–2026–0002"):
        await bot.say(admin, typed)
        assert bot.last_text(ADMIN_ID) == bot.t(
            "review.reason_is_number", typed="SK-2026-0002", number=second.number
        )
    assert await bot.state(admin, "review") == "comment"
    first_reason = "Chưa <đạt> yêu cầu về tính mới"
    await bot.say(admin, first_reason)
    confirm = bot.t(
        "review.confirm_not_recognised",
        number=second.number,
        title=second.title,
        reason=first_reason,
    )
    assert bot.last_text(ADMIN_ID) == confirm and "&lt;đạt&gt;" in confirm
    assert data_of(bot, ADMIN_ID) == [f"rvd:{v}:{second.id}" for v in ("yes", "edit", "back")]
    assert bot.buttons(ADMIN_ID)[0][0] == bot.t("review.btn.confirm_not_recognised")  # unnumbered
    assert await bot.state(admin, "review") == "confirm"
    assert (await row(bot, second.id))["status"] == "reviewing"  # type: ignore[index]
    await bot.say(admin, "sửa lý do")  # the question again, with the reason to copy from
    previous = bot.t("review.previous_reason", reason=first_reason)
    assert bot.last_text(ADMIN_ID) == f"{ask}\n{previous}"
    reason = "Giải pháp đã được áp dụng rộng rãi từ năm 2020, không có tính mới."
    await bot.say(admin, reason)
    assert await bot.state(admin, "review") == "confirm"
    confirm = confirm.replace("Chưa &lt;đạt&gt; yêu cầu về tính mới", reason)
    await bot.say(admin, "linh tinh")
    assert bot.texts(ADMIN_ID)[-2:] == [bot.t("error.choose_button"), confirm]
    # Never guessed (qa20: «không, công nhận» confirmed the refusal): a doubtful no, the other
    # decision, a new sentence each get a hint and the question again.
    for typed in ("không, công nhận", "khong cong nhan", "ko, chưa gửi"):
        await bot.say(admin, typed)
        assert bot.texts(ADMIN_ID)[-2:] == [bot.t("review.decide_unclear", text=typed), confirm]
    await bot.say(admin, "công nhận")
    other = bot.t(
        "review.decide_other",
        number=second.number,
        other=bot.t("review.btn.recognised"),
        back=bot.t("review.btn.not_now"),
    )
    assert bot.texts(ADMIN_ID)[-2:] == [other, confirm]
    await bot.say(admin, "Sáng kiến trùng với giải pháp của Sở năm 2021")
    said = bot.t("review.decide_new_reason", button=bot.t("review.btn.edit_reason"))
    assert bot.texts(ADMIN_ID)[-2:] == [said, confirm]
    assert await bot.state(admin, "review") == "confirm"
    assert (await row(bot, second.id))["status"] == "reviewing"  # type: ignore[index]
    await bot.restart()  # kill -9: the reason typed is not lost
    await bot.press(admin, f"rvd:yes:{first.id}")  # another initiative's: stale
    assert (await row(bot, second.id))["status"] == "reviewing"  # type: ignore[index]
    await bot.say(admin, "1")  # «Xác nhận không công nhận», by its number
    assert await row(bot, second.id) == {"status": "not_recognised", "last_comment": reason}
    assert await bot.state(admin, "review") is None
    expected = notice(bot, "review.notify.not_recognised", second, "vi", reason)
    await bot.deliver()
    assert bot.last_text(alice.id) == expected
    assert (await history(bot, second.id))[-1] == (
        ADMIN_ID,
        ADMIN_NAME,
        "reviewing",
        "not_recognised",
        reason,
    )
    # The author sees the reason in the details, and no button to amend or withdraw.
    text = await shown(bot, alice.id, bot.say(alice, f"/my_initiatives {second.number}"))
    assert bot.t("review.comment_reason", comment=reason) in text
    assert data_of(bot, alice.id) == [f"ini:docx:{second.id}", "my:l"]


async def test_recognising_is_asked_once_more_pressed_or_typed(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """«Công nhận» is final and takes no comment: the bot asks again, with the title; «Chưa»
    goes back to the application with nothing changed; the confirmation (pressed, «có», or
    «công nhận» again) decides and tells the author once."""
    item = await submit_initiative(bot, alice, title="Sổ tay <điện tử> cho cán bộ")
    await office(bot, admin)
    await bot.press(admin, f"rv:m:{item.id}:reviewing")
    await bot.deliver()
    told = len(bot.texts(alice.id))

    await bot.press(admin, f"rv:m:{item.id}:recognised")
    ask = bot.t("review.confirm_recognised", number=item.number, title=item.title)
    assert "Sổ tay &lt;điện tử&gt;" in ask
    assert bot.last_text(ADMIN_ID) == ask
    assert data_of(bot, ADMIN_ID) == [f"rv:c:{item.id}:recognised", f"rv:o:{item.id}"]
    assert (await row(bot, item.id))["status"] == "reviewing"  # type: ignore[index]
    detail = await shown(bot, ADMIN_ID, bot.press(admin, f"rv:o:{item.id}"))  # «Chưa»
    assert detail.startswith(f"<b>{item.number}</b>")
    assert (await row(bot, item.id))["status"] == "reviewing"  # type: ignore[index]

    # Typed: the decision's name on the application, «chưa» on the question, then «có».
    await bot.say(admin, "công nhận")
    assert bot.last_text(ADMIN_ID) == ask
    await bot.say(admin, "chưa")
    assert bot.last_text(ADMIN_ID).startswith(f"<b>{item.number}</b>")
    await bot.say(admin, "duyệt")  # the everyday word for it
    assert bot.last_text(ADMIN_ID) == ask
    # Never guessed, never the rules Q&A (qa20): a doubtful no, the other decision, other words
    # get a hint and the question again; a command or a main menu item still leave it.
    other = bot.t(
        "review.decide_other",
        number=item.number,
        other=bot.t("review.btn.not_recognised"),
        back=bot.t("review.btn.not_now"),
    )
    for typed, said in (
        ("không, chưa", bot.t("review.decide_unclear", text="không, chưa")),
        ("không công nhận", other),
        ("xyz abc", bot.t("error.choose_button")),
    ):
        await bot.say(admin, typed)
        assert bot.texts(ADMIN_ID)[-2:] == [said, ask], typed
        assert (await row(bot, item.id))["status"] == "reviewing"  # type: ignore[index]
    await bot.say(admin, "có")
    assert (await row(bot, item.id))["status"] == "recognised"  # type: ignore[index]
    assert bot.last_text(ADMIN_ID).startswith(
        bot.t("review.moved", number=item.number, status=status(bot, Status.RECOGNISED))
    )
    await bot.deliver()
    assert bot.texts(alice.id)[told:] == [notice(bot, "review.notify.recognised", item, "vi")]


async def test_numbers_typed_with_spaces_dashes_or_zeros_open_the_initiative(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """qa20: «SK 2026 0002», «SK–2026–0002» (a dash from Word), «SK2026-0002» open it like
    «SK-2026-0002»; on an initiative's screen «0002» is SK-…-0002, never its second button."""
    first = await submit_initiative(bot, alice)
    second = await submit_initiative(bot, alice, title="Ứng dụng nhắc hạn hồ sơ")
    await office(bot, admin)
    for typed in ("SK 2026 0002", "SK–2026–0002", "sk2026-0002"):
        await bot.say(admin, "/review")
        detail = await shown(bot, ADMIN_ID, bot.say(admin, typed))
        assert detail.startswith(f"<b>{second.number}</b>"), typed
    detail = await shown(bot, ADMIN_ID, bot.say(admin, "/review sk 2026 0001"))
    assert detail.startswith(f"<b>{first.number}</b>")
    # On SK-2026-0001's screen («Bắt đầu xét», «Yêu cầu bổ sung», ...): «0002» opens the other.
    assert data_of(bot, ADMIN_ID)[1] == f"rv:m:{first.id}:needs_changes"
    detail = await shown(bot, ADMIN_ID, bot.say(admin, "0002"))
    assert detail.startswith(f"<b>{second.number}</b>")
    assert await bot.state(admin, "review") is None
    await bot.press(admin, f"rv:m:{second.id}:reviewing")
    await bot.say(admin, "0003")  # none: said so, no button of the screen pressed
    assert bot.last_text(ADMIN_ID) == bot.t("initiative.not_found")
    assert await bot.state(admin, "review") is None
    assert [h[3] for h in await history(bot, second.id)] == ["submitted", "reviewing"]
    assert [h[3] for h in await history(bot, first.id)] == ["submitted"]
    # The author's own, the same ways.
    await bot.say(alice, "/my_initiatives SK 2026 0002")
    assert bot.last_text(alice.id).startswith(f"<b>{second.number}</b>")


async def test_the_decision_typed_again_confirms_it(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    await bot.say(admin, f"/review {item.number}")
    await bot.say(admin, "bắt đầu xét")
    await bot.say(admin, "cong nhan")  # from the decision's screen
    assert (await row(bot, item.id))["status"] == "reviewing"  # type: ignore[index]
    await bot.say(admin, "Công nhận")  # said again: a yes
    assert (await row(bot, item.id))["status"] == "recognised"  # type: ignore[index]
    await bot.say(admin, "3")  # nothing on that screen is a third choice: no decision taken
    assert [h[3] for h in await history(bot, item.id)] == ["submitted", "reviewing", "recognised"]
    other = await submit_initiative(bot, alice, title="Ứng dụng nhắc hạn hồ sơ")
    await bot.say(admin, f"/review {other.number}")
    await bot.say(admin, "bắt đầu xét")
    await bot.say(admin, "từ chối")  # «Không công nhận» in everyday words: its reason is asked
    assert await bot.state(admin, "review") == "comment"
    assert bot.last_text(ADMIN_ID) == bot.t(
        "review.ask_reason", number=other.number, title=other.title
    )


async def test_a_stale_button_is_refused_and_changes_nothing(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    await bot.press(admin, f"rv:m:{item.id}:recognised")  # not from "submitted"
    assert bot.last_text(ADMIN_ID) == bot.t(
        "review.bad_move",
        number=item.number,
        status=status(bot, Status.SUBMITTED),
        to=status(bot, Status.RECOGNISED),
    )
    await bot.press(admin, f"rv:m:{item.id}:reviewing")
    await bot.deliver()
    alice_texts = len(bot.texts(alice.id))
    await bot.press(admin, f"rv:m:{item.id}:reviewing")  # pressed twice (an old message)
    assert bot.last_text(ADMIN_ID) == bot.t(
        "review.already", number=item.number, status=status(bot, Status.REVIEWING)
    )
    await recognise(bot, admin, item)
    await bot.press(admin, f"rv:c:{item.id}:recognised")  # the confirmation pressed twice
    assert bot.last_text(ADMIN_ID).startswith(
        bot.t("review.already", number=item.number, status=status(bot, Status.RECOGNISED))
    )
    await bot.press(admin, f"rv:m:{item.id}:needs_changes")  # decided already: no question
    assert await bot.state(admin, "review") is None
    assert bot.last_text(ADMIN_ID).startswith(
        bot.t(
            "review.bad_move",
            number=item.number,
            status=status(bot, Status.RECOGNISED),
            to=status(bot, Status.NEEDS_CHANGES),
        )
    )
    assert (await row(bot, item.id))["status"] == "recognised"  # type: ignore[index]
    assert [h[3] for h in await history(bot, item.id)] == ["submitted", "reviewing", "recognised"]
    await bot.deliver()
    assert len(bot.texts(alice.id)) == alice_texts + 1  # told once, of "recognised"


async def test_the_decision_is_taken_by_someone_else_while_commenting(
    bot: Harness, admin: StubUser, alice: StubUser, bob: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    await bot.say(bob, "/help")  # known to the bot (not registered: no flow to finish)
    await bot.say(admin, f"/grant {bob.id} reviewer")
    await bot.say(bob, "/menu")  # a message with buttons in bob's chat, to press on
    await bot.press(bob, f"rv:m:{item.id}:needs_changes")
    assert await bot.state(bob, "review") == "comment"
    await bot.press(admin, f"rv:m:{item.id}:reviewing")
    await recognise(bot, admin, item)
    await bot.say(bob, "Please add the data.")
    assert await bot.state(bob, "review") is None
    assert bot.last_text(bob.id).startswith(
        bot.t(
            "review.bad_move",
            "en",
            number=item.number,
            status=status(bot, Status.RECOGNISED, "en"),
            to=status(bot, Status.NEEDS_CHANGES, "en"),
        )
    )
    assert (await row(bot, item.id))["status"] == "recognised"  # type: ignore[index]
    assert len(await history(bot, item.id)) == 3


async def test_the_final_refusal_can_be_taken_back_at_its_confirmation(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    await bot.press(admin, f"rv:m:{item.id}:reviewing")
    for leave in ("3", "/review"):
        await bot.press(admin, f"rv:m:{item.id}:not_recognised")
        await bot.say(admin, "Chưa có số liệu áp dụng thực tế.")
        assert await bot.state(admin, "review") == "confirm"
        mark = bot.mark()
        await bot.say(admin, leave)
        assert await bot.state(admin, "review") is None
        first = bot.texts_since(mark, ADMIN_ID)[0]
        if leave == "3":  # «Chưa, quay lại đơn»: the initiative again
            assert first.startswith(f"<b>{item.number}</b>")
        else:
            assert first == bot.t(
                "review.comment_dropped",
                number=item.number,
                to=status(bot, Status.NOT_RECOGNISED),
                status=status(bot, Status.REVIEWING),
            )
        assert await row(bot, item.id) == {"status": "reviewing", "last_comment": None}
    await bot.deliver()
    assert bot.t("review.btn.not_recognised") not in bot.last_text(alice.id)


async def test_the_comment_step_survives_a_crash(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    await bot.press(admin, f"rv:m:{item.id}:needs_changes")
    await bot.restart()  # kill -9 right after the question
    assert await bot.state(admin, "review") == "comment"
    await bot.say(admin, "Thiếu xác nhận của cơ sở áp dụng.")
    assert await row(bot, item.id) == {
        "status": "needs_changes",
        "last_comment": "Thiếu xác nhận của cơ sở áp dụng.",
    }
    assert await bot.state(admin, "review") is None


async def test_unreachable_author_is_reported_to_the_reviewer(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    # Alice blocked the bot, which does not know it yet: the notice is queued, and the reviewer
    # is told it is on its way, never that it was delivered.
    bot.stub.chat_failures[alice.id] = [(403, "Forbidden: bot was blocked by the user", None)]

    def received() -> int:
        return sum(
            1
            for call in bot.stub.sent(alice.id, "sendMessage")
            if isinstance(call.result, dict) and "message_id" in call.result
        )

    before = received()
    await bot.press(admin, f"rv:m:{item.id}:reviewing")
    assert (await row(bot, item.id))["status"] == "reviewing"  # type: ignore[index]
    told = bot.last_text(ADMIN_ID)
    assert bot.t("review.notice_queued") in told and bot.t("review.not_delivered") not in told
    await bot.deliver()
    assert received() == before  # nothing arrived
    outbox = await bot.db_row("SELECT status, error FROM outbox WHERE user_id = ?", alice.id)
    assert outbox == {"status": "unreachable", "error": "blocked"}
    # ...and the reviewer is told, once the worker learnt it, to reach her another way.
    assert bot.last_text(ADMIN_ID) == bot.t(
        "broadcast.notice_undelivered", count=1, names="Trần Thị Hoa"
    )
    assert await bot.db_value("SELECT unreachable_at FROM users WHERE user_id = ?", alice.id)
    # Now the bot knows: the next decision queues nothing for her, and the reviewer hears so.
    await recognise(bot, admin, item)
    assert (await row(bot, item.id))["status"] == "recognised"  # type: ignore[index]
    assert bot.t("review.not_delivered") in bot.last_text(ADMIN_ID)
    assert await bot.db_value("SELECT count(*) FROM outbox WHERE user_id = ?", alice.id) == 1


async def test_the_notice_is_queued_with_the_decision_and_delivered_once(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    # The decision's transaction fails after the notice was written: nothing is queued.
    services = bot.services
    user = await services.users.require(ADMIN_ID)

    def texts(moved: Moved) -> Awaitable[list[Notice]]:
        return review_handlers.author_notices(services, moved)

    class Failing(Notify[Moved]):
        async def __call__(self, conn: Any, outcome: Moved) -> Queued:
            queued = await super().__call__(conn, outcome)
            assert queued.chats == (alice.id,)  # written, then the transaction fails
            raise RuntimeError("the disk is full")

    ref = StepRef(10_000_001, (ADMIN_ID, ADMIN_ID))
    failing = Failing(texts, actor_id=ADMIN_ID, clock=services.broadcasts._iso)
    with pytest.raises(RuntimeError):
        await services.initiatives.review(ref, user, item.id, Status.REVIEWING, notify=failing)
    assert (await row(bot, item.id))["status"] == "submitted"  # type: ignore[index]
    assert await bot.db_value("SELECT count(*) FROM outbox") == 0
    # The decision and its notice commit together; the worker delivers it once.
    notify = services.broadcasts.notices(texts, actor_id=ADMIN_ID)
    before = len(bot.texts(alice.id))
    moved = await services.initiatives.review(ref, user, item.id, Status.REVIEWING, notify=notify)
    assert notify.queued.chats == (alice.id,)
    rows = await bot.db_value(
        "SELECT count(*) FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id "
        "WHERE b.kind = 'notice' AND o.user_id = ? AND o.status = 'pending'",
        alice.id,
    )
    assert rows == 1 and moved.initiative.status is Status.REVIEWING
    await bot.deliver()
    assert bot.texts(alice.id)[before:] == [
        notice(bot, "review.notify.reviewing", moved.initiative, "vi")
    ]
    await bot.restart(crash=False)  # nothing goes again after a restart
    await bot.deliver()
    assert len(bot.texts(alice.id)) == before + 1
    # Notices stay out of the office's list of announcements.
    assert await bot.services.broadcasts.recent() == []


async def test_people_who_may_not_review_see_and_change_nothing(
    bot: Harness, alice: StubUser, bob: StubUser
) -> None:
    item = await submit_initiative(bot, alice, title="Bí mật quốc gia về đo lường")
    await bot.say(bob, "/menu")
    menu = bot.last_keyboard_message(bob.id)
    await bot.say(bob, "/review")
    assert bot.last_text(bob.id) == bot.t("review.denied", "en")
    await bot.say(bob, f"/review {item.number}")
    assert bot.last_text(bob.id) == bot.t("review.denied", "en")
    for data in (
        f"rv:o:{item.id}",
        f"rv:m:{item.id}:reviewing",
        f"rv:m:{item.id}:needs_changes",
        f"rv:a:{item.id}",
        "rv:q",
        "rv:fu",
    ):
        await bot.press(bob, data, message=menu)
        assert last_answer(bot) == bot.t("review.denied", "en")
    await bot.say(bob, item.number)  # typed: not theirs (whether it exists is not said)
    assert bot.last_text(bob.id) == bot.t("initiative.number_not_found", "en", number=item.number)
    await bot.say(bob, "/menu")
    await bot.press(bob, f"my:o:{item.id}", message=menu)
    assert bot.last_text(bob.id) == bot.t("initiative.not_found", "en")
    assert await bot.state(bob, "review") is None
    assert not any("Bí mật" in text for text in bot.texts(bob.id))
    assert (await row(bot, item.id))["status"] == "submitted"  # type: ignore[index]
    assert len(await history(bot, item.id)) == 1


async def test_nobody_reviews_their_own_initiative(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """A reviewer who submitted it sees no decision buttons and says why; a press or a typed
    decision is refused, and the status stays."""
    await office(bot, admin)
    item = await submit_initiative(bot, alice)
    await bot.say(admin, f"/grant {alice.id} reviewer")
    detail = await shown(bot, alice.id, bot.say(alice, f"/review {item.number}"))
    assert bot.t("review.own") in detail
    assert not [d for d in data_of(bot, alice.id) if d.startswith("rv:m:")]
    await bot.press(alice, f"rv:m:{item.id}:reviewing")
    assert bot.last_text(alice.id) == bot.t("review.own")
    await bot.say(alice, f"/review {item.number}")
    await bot.say(alice, "công nhận")
    assert await bot.db_value("SELECT status FROM initiatives WHERE id = ?", item.id) == "submitted"
    with pytest.raises(InitiativeError):
        user = await bot.services.users.require(alice.id)
        step = StepRef(10**9, (alice.id, alice.id))
        await bot.services.initiatives.review(step, user, item.id, Status.REVIEWING)
    # Someone else decides as usual.
    await bot.press(admin, f"rv:m:{item.id}:reviewing")
    assert await bot.db_value("SELECT status FROM initiatives WHERE id = ?", item.id) == "reviewing"


async def test_a_granted_reviewer_reviews_without_the_confidential_field(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    await register(bot, CAROL, "Đỗ Thị Carol", unit=1)
    await bot.say(CAROL, "/review")
    assert bot.last_text(CAROL.id) == bot.t("review.denied")

    await bot.say(admin, f"/grant {CAROL.id} reviewer")
    commands = [
        c
        for c in bot.stub.sent(method="setMyCommands")
        if c.params["scope"].get("chat_id") == CAROL.id
    ][-1]
    names = [c["command"] for c in commands.params["commands"]]
    assert "review" in names and "export_initiatives" in names and "grant" not in names

    detail = await shown(bot, CAROL.id, bot.say(CAROL, f"/review {item.number}"))
    assert CONFIDENTIAL not in detail
    assert bot.t("review.confidential_hidden") in detail
    assert "ban-ve-1.pdf" in detail
    assert CONFIDENTIAL in await shown(bot, ADMIN_ID, bot.say(admin, f"/review {item.id}"))
    # Without confidential information there is nothing hidden to mention.
    plain = await submit_initiative(bot, alice, title="Không có gì bảo mật", confidential=None)
    detail = await shown(bot, CAROL.id, bot.say(CAROL, f"/review {plain.number}"))
    assert bot.t("review.confidential_hidden") not in detail

    await bot.press(CAROL, f"rv:m:{item.id}:reviewing")
    assert (await history(bot, item.id))[-1] == (
        CAROL.id,
        "Đỗ Thị Carol",
        "submitted",
        "reviewing",
        None,
    )
    # The attachments are sent on request.
    await bot.press(CAROL, f"rv:a:{item.id}")
    sent = bot.stub.sent(CAROL.id, "sendDocument")
    assert [c.params["document"] for c in sent] == ["test-file-1"]

    await bot.say(admin, f"/revoke {CAROL.id} reviewer")
    await bot.say(CAROL, "/review")
    assert bot.last_text(CAROL.id) == bot.t("review.denied")


async def test_filters_by_status_and_unit(
    bot: Harness, admin: StubUser, alice: StubUser, bob: StubUser
) -> None:
    mine = await submit_initiative(bot, alice, title="Sáng kiến thứ nhất của Văn phòng", unit=0)
    done = await submit_initiative(bot, alice, title="Sáng kiến thứ hai của Văn phòng")
    other = await submit_initiative(
        bot, bob, title="Inspection checklist app", full_name="Bob An", unit=1
    )
    units = bot.services.units
    await office(bot, admin)
    await bot.press(admin, f"rv:m:{done.id}:reviewing")
    await recognise(bot, admin, done)

    await bot.say(admin, "/review")  # default: the ones awaiting action
    queue = bot.last_text(ADMIN_ID)
    assert mine.number in queue and other.number in queue and done.number not in queue

    await bot.press(admin, "rv:fs")
    assert "rv:s:recognised" in data_of(bot, ADMIN_ID)
    await bot.press(admin, "rv:s:recognised")
    queue = bot.last_text(ADMIN_ID)
    assert done.number in queue and mine.number not in queue and other.number not in queue

    await bot.press(admin, "rv:fs")
    await bot.say(admin, "tat ca trang thai")  # typed label of "Tất cả trạng thái"
    queue = bot.last_text(ADMIN_ID)
    assert all(i.number in queue for i in (mine, done, other))

    await bot.press(admin, "rv:fu")
    listed = sorted(units[:2])  # the units of the applications, in alphabetical order
    assert bot.buttons(ADMIN_ID) == [
        (listed[0], "rv:u:0"),
        (listed[1], "rv:u:1"),
        (bot.t("review.btn.all_units"), "rv:u:all"),
        (bot.t("review.btn.back"), "rv:q"),
    ]
    await bot.press(admin, f"rv:u:{listed.index(units[1])}")
    queue = bot.last_text(ADMIN_ID)
    assert other.number in queue and mine.number not in queue and units[1] in queue
    # The figures are the unit's (qa18: «Toàn bộ» of every unit beside a filtered list).
    summary = f"{status(bot, Status.SUBMITTED)}: 1"
    assert bot.t("review.counts_unit", unit=units[1], summary=summary) in queue
    await bot.press(admin, "rv:fu")
    await bot.say(admin, units[0])  # typed unit name
    queue = bot.last_text(ADMIN_ID)
    assert mine.number in queue and done.number in queue and other.number not in queue

    await bot.press(admin, "rv:fs")
    await bot.press(admin, "rv:s:withdrawn")
    assert bot.t("review.queue_empty") in bot.last_text(ADMIN_ID)
    summary = f"{status(bot, Status.SUBMITTED)}: 1; {status(bot, Status.RECOGNISED)}: 1"
    assert bot.t("review.counts_unit", unit=units[0], summary=summary) in bot.last_text(ADMIN_ID)
    assert data_of(bot, ADMIN_ID) == ["rv:fs", "rv:fu"]


async def test_filters_typed_as_people_say_them(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """«lọc» starts both filter buttons: the bot asks which; «trạng thái», «bị từ chối», «tất
    cả» and «chờ xử lý» pick the filter they say."""
    kept = await submit_initiative(bot, alice, title="Sáng kiến được giữ lại để xét")
    refused = await submit_initiative(bot, alice, title="Sáng kiến không được công nhận")
    await office(bot, admin)
    await bot.press(admin, f"rv:m:{refused.id}:reviewing")
    await bot.press(admin, f"rv:m:{refused.id}:not_recognised")
    await bot.say(admin, "Chưa đủ căn cứ")  # the reason
    await bot.say(admin, "xác nhận")

    await bot.say(admin, "/review")
    await bot.say(admin, "lọc")
    options = "«Lọc theo trạng thái» hoặc «Lọc theo đơn vị»"
    assert bot.last_text(ADMIN_ID) == bot.t("choice.which", typed="lọc", options=Safe(options))
    assert data_of(bot, ADMIN_ID) == ["rv:fs", "rv:fu"]  # the two buttons, numbered 1 and 2
    await bot.say(admin, "2")  # «Lọc theo đơn vị» (not the main menu's 2nd item)
    assert await bot.state(admin, "review") is None
    assert bot.t("review.filter_unit_ask").split("(")[0][:20] in bot.last_text(ADMIN_ID)
    await bot.say(admin, "lọc")  # on the unit question: the queue's filters still
    assert data_of(bot, ADMIN_ID) == ["rv:fs", "rv:fu"]
    await bot.say(admin, "trạng thái")
    assert bot.last_text(ADMIN_ID) == bot.t("review.filter_status_ask")
    await bot.say(admin, "bị từ chối")
    queue = bot.last_text(ADMIN_ID)
    assert refused.number in queue and kept.number not in queue
    await bot.say(admin, "loc trang thai")
    await bot.say(admin, "tất cả")
    queue = bot.last_text(ADMIN_ID)
    assert refused.number in queue and kept.number in queue
    await bot.say(admin, "lọc theo trạng thái")
    await bot.say(admin, "chờ xử lý")
    queue = bot.last_text(ADMIN_ID)
    assert kept.number in queue and refused.number not in queue


async def test_a_filter_question_keeps_what_is_typed_to_it(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """qa19: at «Lọc theo đơn vị», «thanh tra sở» (a unit with no application) went to the
    rules Q&A, and its «1» then sent it to the office as a question; at «Lọc theo trạng
    thái», «đang xem xét» and «yêu cầu bổ sung» were read as decisions. Now the question
    takes them, or says what it cannot read and asks again."""
    item = await submit_initiative(bot, alice, title="Sáng kiến để thử bộ lọc", unit=0)
    await office(bot, admin)
    units = bot.services.units
    await bot.say(admin, "/review")

    await bot.say(admin, "lọc theo đơn vị")
    await bot.say(admin, "phong ql khoa hoc")  # in the units' list, with no application yet
    queue = bot.last_text(ADMIN_ID)
    assert bot.t("review.queue_empty") in queue and "Phòng Quản lý khoa học" in queue
    await bot.say(admin, "lọc theo đơn vị")
    await bot.say(admin, "abc <xyz>")
    assert bot.texts(ADMIN_ID)[-2] == bot.t("review.filter_unit_unknown", text="abc <xyz>")
    assert bot.last_text(ADMIN_ID) == bot.t("review.filter_unit_ask")  # asked again
    await bot.say(admin, "1")  # the list's first unit, not the Q&A's «send to the office»
    queue = bot.last_text(ADMIN_ID)
    assert item.number in queue and units[0] in queue
    assert await bot.db_value("SELECT COUNT(*) FROM office_questions") == 0

    await bot.say(admin, "lọc theo trạng thái")
    await bot.say(admin, "linh tinh")
    assert bot.texts(ADMIN_ID)[-2] == bot.t("review.filter_unknown", text="linh tinh")
    assert bot.last_text(ADMIN_ID) == bot.t("review.filter_status_ask")
    await bot.say(admin, "đang xem xét")
    assert bot.last_text(ADMIN_ID).startswith(
        bot.t("review.queue_title", statuses=status(bot, Status.REVIEWING), unit=units[0])
    )
    await bot.say(admin, "lọc theo trạng thái")
    await bot.say(admin, "yeu cau bo sung")
    assert bot.last_text(ADMIN_ID).startswith(
        bot.t("review.queue_title", statuses=status(bot, Status.NEEDS_CHANGES), unit=units[0])
    )
    await bot.say(admin, "lọc theo trạng thái")
    await bot.say(admin, "đã duyệt")  # qa20: «Được công nhận»
    assert bot.last_text(ADMIN_ID).startswith(
        bot.t("review.queue_title", statuses=status(bot, Status.RECOGNISED), unit=units[0])
    )
    # qa20: a way back from both questions, and the other filter typed to one of them.
    for question in ("lọc theo trạng thái", "lọc theo đơn vị"):
        await bot.say(admin, question)
        assert data_of(bot, ADMIN_ID)[-1] == "rv:q"
        await bot.say(admin, "quay lại")
        assert bot.last_text(ADMIN_ID).startswith(
            bot.t("review.queue_title", statuses="x", unit="y")[:20]
        )
    await bot.say(admin, "lọc theo trạng thái")
    await bot.say(admin, "thanh tra sở")
    assert bot.last_text(ADMIN_ID).split("\n")[1].endswith("Thanh tra Sở")
    await bot.say(admin, "lọc theo đơn vị")
    await bot.say(admin, "đang xét")
    assert bot.last_text(ADMIN_ID).startswith(
        bot.t("review.queue_title", statuses=status(bot, Status.REVIEWING), unit="Thanh tra Sở")
    )
    # The short forms offices write units in (qa20: «vp», «P.QLKH» were refused).
    for typed, unit in (("P.QLKH", "Phòng Quản lý khoa học"), ("vp", "Văn phòng Sở")):
        await bot.say(admin, "lọc theo đơn vị")
        await bot.say(admin, typed)
        assert unit in bot.last_text(ADMIN_ID).split("\n")[1], typed
    await bot.say(admin, "lọc theo trạng thái")
    await bot.say(admin, "chua duyet")
    queue = bot.last_text(ADMIN_ID)
    assert queue.startswith(
        bot.t("review.queue_title", statuses=bot.t("review.btn.open_statuses"), unit=units[0])
    )
    assert item.number in queue
    # A main menu item typed there is that item, as anywhere else.
    await bot.say(admin, "lọc theo trạng thái")
    await bot.say(admin, "hồ sơ của tôi")
    assert bot.t("review.filter_unknown", text="hồ sơ của tôi") not in bot.texts(ADMIN_ID)


async def test_queue_words_work_while_the_review_is_recent(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """qa14 M1: the queue's buttons typed when another review screen is the last one go to
    the review, never to the rules Q&A; a decision typed with no application open says how."""
    item = await submit_initiative(bot, alice, title="Sáng kiến để thử lệnh gõ")
    await bot.say(admin, "/review")
    await bot.say(admin, "lọc theo đơn vị")
    assert bot.last_text(ADMIN_ID) == bot.t("review.filter_unit_ask")
    await bot.say(admin, "lọc theo trạng thái")  # not on this screen: still the review's
    assert bot.last_text(ADMIN_ID) == bot.t("review.filter_status_ask")
    await bot.say(admin, "tất cả đơn vị")
    assert item.number in bot.last_text(ADMIN_ID)
    await bot.say(admin, item.number)
    await bot.tap(admin, f"rv:m:{item.id}:reviewing")
    await bot.say(admin, "không công nhận")  # on its screen: the decision
    await bot.say(admin, "Chưa có số liệu áp dụng.")  # the reason
    await bot.press(admin, f"rvd:yes:{item.id}")
    await bot.say(admin, "không công nhận")  # the screen after it offers no decision
    assert bot.last_text(ADMIN_ID) == bot.t("review.open_first", move="Không công nhận")
    await bot.say(admin, "không")  # qa19: a bare «không» is no decision
    assert bot.t("review.btn.not_recognised") not in bot.last_text(ADMIN_ID)
    await bot.say(admin, "danh sách hồ sơ")  # the older word for «đơn» still reads
    assert bot.last_text(ADMIN_ID).startswith("<b>Danh sách đơn sáng kiến</b>")  # the queue
    await bot.say(admin, "danh sách đơn")
    assert bot.last_text(ADMIN_ID).startswith("<b>Danh sách đơn sáng kiến</b>")
    # Without a review session, the same words are a question for the rules Q&A.
    await bot.say(alice, "tất cả đơn vị")
    assert bot.t("review.filter_unit_ask") not in bot.texts(alice.id)


async def test_a_long_queue_comes_in_pages(bot: Harness, admin: StubUser, alice: StubUser) -> None:
    items = [
        await submit_initiative(bot, alice, title=f"Sáng kiến số {n} " + "rất dài " * 30)
        for n in range(1, 13)
    ]
    await office(bot, admin)
    await bot.say(admin, "/review")
    first = bot.last_text(ADMIN_ID)
    assert len(first) <= 4096
    assert items[9].number in first and items[10].number not in first
    assert bot.t("review.page", page=1, pages=2) in first
    assert "rv:p:2" in data_of(bot, ADMIN_ID) and "rv:p:0" not in data_of(bot, ADMIN_ID)
    await bot.press(admin, "rv:p:2")
    second = bot.last_text(ADMIN_ID)
    assert items[10].number in second and items[0].number not in second
    assert "rv:p:1" in data_of(bot, ADMIN_ID)
    detail = await shown(bot, ADMIN_ID, bot.say(admin, "12"))  # typed number of the list
    assert detail.startswith(f"<b>{items[11].number}</b>")
    await bot.say(admin, "/review")
    await bot.say(admin, "trang sau")  # typed label of "Trang sau »"
    assert items[11].number in bot.last_text(ADMIN_ID)
    # A whole number is an identifier: one not on this page opens that one, never a near label
    detail = await shown(bot, ADMIN_ID, bot.say(admin, items[1].number))  # 0002, not 0012
    assert detail.startswith(f"<b>{items[1].number}</b>")
    await bot.say(admin, "/review")
    await bot.press(admin, "rv:p:2")
    missing = items[11].number[:-1] + "9"  # 0019: no such initiative, one letter from 0012
    await bot.say(admin, missing)
    assert bot.last_text(ADMIN_ID) == bot.t("initiative.number_not_found", number=missing)


async def test_review_typed_forms(bot: Harness, admin: StubUser, alice: StubUser) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    await bot.say(admin, "/review")
    detail = await shown(bot, ADMIN_ID, bot.say(admin, item.number.lower()))  # typed number
    assert detail.startswith(f"<b>{item.number}</b>")
    unpadded = item.number.lower().rsplit("-", 1)[0] + "-" + str(int(item.number[-4:]))
    detail = await shown(bot, ADMIN_ID, bot.say(admin, unpadded))  # "sk-2026-1"
    assert detail.startswith(f"<b>{item.number}</b>")
    await bot.say(admin, "bat dau xet")  # "Bắt đầu xét" typed without accents
    assert (await row(bot, item.id))["status"] == "reviewing"  # type: ignore[index]
    # The next decisions come with the result: typed right after it, without reopening.
    data = [d for _, d in bot.buttons(ADMIN_ID)]
    assert f"rv:m:{item.id}:needs_changes" in data and f"rv:m:{item.id}:recognised" in data
    await bot.say(admin, "yêu cầu bổ sung")
    assert await bot.state(admin, "review") == "comment"
    await bot.say(admin, "Ghi rõ số liệu tiết kiệm.")
    assert await row(bot, item.id) == {
        "status": "needs_changes",
        "last_comment": "Ghi rõ số liệu tiết kiệm.",
    }
    # A label typed with no such button on the last screen is just a question.
    await bot.say(admin, "công nhận")
    assert (await row(bot, item.id))["status"] == "needs_changes"  # type: ignore[index]
    await bot.say(admin, "khong cong nhan")
    assert await bot.state(admin, "review") is None
    assert (await row(bot, item.id))["status"] == "needs_changes"  # type: ignore[index]


async def test_review_opens_by_number_or_id(bot: Harness, admin: StubUser, alice: StubUser) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    for reference in (item.number, str(item.id)):
        detail = await shown(bot, ADMIN_ID, bot.say(admin, f"/review {reference}"))
        assert detail.startswith(f"<b>{item.number}</b>")
    await bot.say(admin, "/review SK-1999-0001")
    assert bot.last_text(ADMIN_ID) == bot.t("initiative.not_found")


# --- /my_initiatives ------------------------------------------------------------------------------


async def test_my_initiatives_list_details_and_withdraw(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/my_initiatives")
    assert bot.last_text(alice.id) == bot.t("my.none")
    first = await submit_initiative(bot, alice, title="Bảng điện tử <tra cứu> & hỏi đáp")
    second = await submit_initiative(bot, alice, title="Ký số văn bản nội bộ", confidential=None)

    await bot.say(alice, "/my_initiatives")
    listing = bot.last_text(alice.id)
    assert bot.t("my.title", count=2) in listing
    assert listing.index(second.number) < listing.index(first.number)  # newest first
    assert "Bảng điện tử &lt;tra cứu&gt; &amp; hỏi đáp" in listing
    assert status(bot, Status.SUBMITTED) in listing
    assert data_of(bot, alice.id) == [f"my:o:{second.id}", f"my:o:{first.id}"]

    detail = await shown(bot, alice.id, bot.press(alice, f"my:o:{first.id}"))
    assert CONFIDENTIAL in detail  # the submitter sees their own confidential answer
    assert bot.t("initiative.field.description") in detail
    assert bot.t("review.history") in detail and "Trần Thị Hoa" in detail
    # "Rút đơn", "Tải đơn (.docx)"; no "Sửa và nộp lại"
    assert data_of(bot, alice.id) == [f"my:w:{first.id}", f"ini:docx:{first.id}", "my:l"]

    await bot.press(alice, f"my:w:{first.id}")
    assert bot.last_text(alice.id) == bot.t(
        "my.withdraw_confirm", number=first.number, title=first.title
    )
    assert data_of(bot, alice.id) == [f"my:wy:{first.id}", f"my:wn:{first.id}"]
    await bot.press(alice, f"my:wn:{first.id}")
    assert bot.last_text(alice.id) == bot.t("my.kept", number=first.number)
    assert data_of(bot, alice.id) == [f"my:w:{first.id}", f"ini:docx:{first.id}", "my:l"]
    assert (await row(bot, first.id))["status"] == "submitted"  # type: ignore[index]

    await bot.say(alice, "có")  # not a lasting label: "có" now is no answer to anything
    assert bot.last_text(alice.id) != bot.t("my.withdrawn", number=first.number)
    await bot.press(alice, f"my:w:{first.id}")
    await bot.say(alice, "có")  # typed, right after the question
    assert bot.last_text(alice.id) == bot.t("my.withdrawn", number=first.number)
    assert (await row(bot, first.id))["status"] == "withdrawn"  # type: ignore[index]
    assert (await history(bot, first.id))[-1] == (
        alice.id,
        "Trần Thị Hoa",
        "submitted",
        "withdrawn",
        None,
    )
    await bot.press(alice, f"my:wy:{first.id}")  # the confirmation pressed again
    assert bot.last_text(alice.id) == bot.t("my.already_withdrawn", number=first.number)
    assert len(await history(bot, first.id)) == 2


async def test_my_initiatives_mentions_the_unfinished_draft(bot: Harness, alice: StubUser) -> None:
    """qa18: «chưa nộp sáng kiến nào» alone, with a draft saved, read as if it were lost."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/my_initiatives")
    assert bot.last_text(alice.id) == f"{bot.t('my.none')}\n\n{bot.t('my.draft')}"

    await fill_until_review(bot, alice, title="Sổ tay <số> & tra cứu")
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/my_initiatives")
    assert bot.t("my.draft_titled", title="Sổ tay <số> & tra cứu") in bot.last_text(alice.id)
    assert "Sổ tay &lt;số&gt; &amp; tra cứu" in bot.last_text(alice.id)

    await bot.say(alice, "/sangkien")
    await bot.say(alice, "nộp đơn")
    await bot.say(alice, "đồng ý")
    await bot.say(alice, "/my_initiatives")
    listing = bot.last_text(alice.id)
    assert bot.t("my.title", count=1) in listing
    assert "Sổ tay" in listing and "/xoanhap" not in listing  # submitted: no draft left


async def test_the_office_is_told_of_a_withdrawal_once(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    """An application taken back leaves the review queue: the office is told, in the same
    transaction as the withdrawal (a second press of the confirmation queues nothing)."""
    await register(bot, admin, "Phạm Văn Quản")
    item = await submit_initiative(bot, alice, title="Bảng điện tử <tra cứu>")
    await bot.deliver()
    mark = bot.mark()
    await bot.say(alice, "/my_initiatives")
    await bot.press(alice, f"my:o:{item.id}")
    await bot.press(alice, f"my:w:{item.id}")
    await bot.press(alice, f"my:wy:{item.id}")
    await bot.press(alice, f"my:wy:{item.id}")  # pressed again: refused, nothing queued
    await bot.deliver()
    notice = bot.t(
        "initiative.office.withdrawn",
        number=item.number,
        title=item.title,
        name="Trần Thị Hoa",
        unit=item.unit,
    )
    assert "Bảng điện tử &lt;tra cứu&gt;" in notice
    hint = bot.t("initiative.office.settings_hint")
    assert bot.texts_since(mark, admin.id) == [f"{notice}\n{hint}"]
    assert bot.t("my.withdrawn", number=item.number) in bot.texts_since(mark, alice.id)


async def test_withdraw_is_refused_once_the_review_started(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    await bot.say(alice, "/my_initiatives 1")
    withdraw_screen = bot.last_keyboard_message(alice.id)
    await bot.press(admin, f"rv:m:{item.id}:reviewing")

    await bot.say(alice, "/my_initiatives 1")
    assert data_of(bot, alice.id) == [f"ini:docx:{item.id}", "my:l"]  # no "Rút đơn" now
    await bot.press(alice, f"my:w:{item.id}", message=withdraw_screen)
    refused = bot.t("my.not_withdrawable", number=item.number, status=status(bot, Status.REVIEWING))
    assert bot.last_text(alice.id) == refused
    await bot.press(alice, f"my:wy:{item.id}", message=withdraw_screen)
    assert bot.last_text(alice.id) == refused
    assert (await row(bot, item.id))["status"] == "reviewing"  # type: ignore[index]


async def test_my_initiatives_typed_forms(bot: Harness, alice: StubUser) -> None:
    # Right after the list, typed numbers are its numbers, even those that are also main-menu
    # items; initiative numbers and labels always work.
    count = len(menu.MENU_ITEMS) + 1
    items = [
        await submit_initiative(bot, alice, title=f"Sáng kiến thử nghiệm số {n}")
        for n in range(1, count + 1)
    ]
    await bot.say(alice, "/my_initiatives")
    detail = await shown(bot, alice.id, bot.say(alice, str(count)))  # the last: newest first
    assert detail.startswith(f"<b>{items[0].number}</b>")
    await bot.say(alice, "quay lai danh sach")  # "« Quay lại danh sách"
    assert bot.t("my.title", count=count) in bot.last_text(alice.id)
    await bot.say(alice, "99")
    assert bot.last_text(alice.id) == bot.t(
        "review.pick_range", numbers=bot.t("pick.range", low=1, high=count)
    )
    # «0003»: the end of an initiative's number (SK-…-0003), not the list's third item
    third = items[2].number.rsplit("-", 1)[1]
    assert third.startswith("0") and items[-3].number != items[2].number
    detail = await shown(bot, alice.id, bot.say(alice, third))
    assert detail.startswith(f"<b>{items[2].number}</b>")
    await bot.say(alice, "99")  # on an application: the numbers are the list's (qa14 L4)
    said = bot.last_text(alice.id)
    allowed = bot.t("pick.range", low=1, high=count)
    assert said.startswith(
        bot.t("review.pick_range_list", numbers=allowed, button="").split("«")[0]
    )
    await bot.say(alice, "quay lai danh sach")
    await bot.say(alice, "0999")
    assert bot.last_text(alice.id) == bot.t("initiative.not_found")
    detail = await shown(bot, alice.id, bot.say(alice, items[2].number))  # typed number
    assert detail.startswith(f"<b>{items[2].number}</b>")
    await bot.say(alice, "tải đơn")  # "Tải đơn (.docx)": the filled form again
    assert len(bot.stub.sent(alice.id, "sendDocument")) == 1
    await bot.say(alice, items[2].number)
    await bot.say(alice, "rút đơn")
    assert bot.last_text(alice.id).startswith(
        bot.t("my.withdraw_confirm", number=items[2].number, title=items[2].title)
    )
    await bot.say(alice, "thôi")  # «Không rút»
    assert (await row(bot, items[2].id))["status"] == "submitted"  # type: ignore[index]
    await bot.say(alice, items[2].number)
    await bot.say(alice, "rút đơn")
    await bot.say(alice, "2")  # the second button: «Không rút»
    assert (await row(bot, items[2].id))["status"] == "submitted"  # type: ignore[index]
    await bot.say(alice, items[2].number)
    await bot.say(alice, "rút đơn")
    await bot.say(alice, "xác nhận rút")
    assert bot.last_text(alice.id) == bot.t("my.withdrawn", number=items[2].number)
    assert (await row(bot, items[2].id))["status"] == "withdrawn"  # type: ignore[index]
    # Words that are no choice on the last screen go on to the rules Q&A.
    mark = bot.mark()
    await bot.say(alice, "xác nhận rút")
    answer = bot.texts_since(mark, alice.id)
    assert answer and bot.t("my.withdrawn", number=items[2].number) not in answer
    detail = await shown(bot, alice.id, bot.say(alice, f"/my_initiatives {items[4].number}"))
    assert detail.startswith(f"<b>{items[4].number}</b>")
    await bot.say(alice, "/my_initiatives SK-1999-0001")
    assert bot.last_text(alice.id) == bot.t("initiative.not_found")


async def test_amend_button_only_when_changes_are_requested(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    item = await submit_initiative(bot, alice)
    await office(bot, admin)
    await bot.say(alice, f"/my_initiatives {item.number}")
    assert f"ini:amend:{item.id}" not in data_of(bot, alice.id)

    await bot.press(admin, f"rv:m:{item.id}:needs_changes")
    await bot.say(admin, "Bổ sung ảnh chụp thực tế.")
    detail = await shown(bot, alice.id, bot.say(alice, f"/my_initiatives {item.number}"))
    assert bot.t("review.comment_changes", comment="Bổ sung ảnh chụp thực tế.") in detail
    assert bot.t("my.amend_hint") in detail
    assert bot.buttons(alice.id)[0] == (bot.t("my.btn.amend"), f"ini:amend:{item.id}")
    assert data_of(bot, alice.id) == [
        f"ini:amend:{item.id}",
        f"my:w:{item.id}",
        f"ini:docx:{item.id}",
        "my:l",
    ]
    assert status(bot, Status.NEEDS_CHANGES) in detail
    # «Rút đơn», then «Không rút»: the screen's buttons again, «Sửa và nộp lại» among them.
    await bot.press(alice, f"my:w:{item.id}")
    await bot.press(alice, f"my:wn:{item.id}")
    assert bot.last_text(alice.id) == bot.t("my.kept", number=item.number)
    assert data_of(bot, alice.id) == [
        f"ini:amend:{item.id}",
        f"my:w:{item.id}",
        f"ini:docx:{item.id}",
        "my:l",
    ]
    await bot.say(alice, f"/my_initiatives {item.number}")

    # While amending, the filled form of the earlier screen still downloads (read-only: the
    # amendment goes on where it was).
    screen = bot.last_keyboard_message(alice.id)
    await bot.press(alice, f"ini:amend:{item.id}", message=screen)
    amending = await bot.state(alice, "initiative")
    assert amending is not None
    documents = len(bot.stub.sent(alice.id, "sendDocument"))
    await bot.press(alice, f"ini:docx:{item.id}", message=screen)
    assert len(bot.stub.sent(alice.id, "sendDocument")) == documents + 1
    assert await bot.state(alice, "initiative") == amending
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/my_initiatives")
    assert bot.t("my.draft_amending", number=item.number) in bot.last_text(alice.id)

    # Amended and resubmitted: back in the queue; the old comment is history now.
    await resubmit(bot, alice, item.id)
    detail = await shown(bot, alice.id, bot.say(alice, f"/my_initiatives {item.number}"))
    assert bot.t("review.comment_changes", comment="Bổ sung ảnh chụp thực tế.") not in detail
    assert bot.t("review.history_comment", comment="Bổ sung ảnh chụp thực tế.") in detail
    assert f"ini:amend:{item.id}" not in data_of(bot, alice.id)
    await bot.say(admin, "/review")
    assert item.number in bot.last_text(ADMIN_ID)
    assert [h[2:4] for h in await history(bot, item.id)] == [
        (None, "submitted"),
        ("submitted", "needs_changes"),
        ("needs_changes", "submitted"),
    ]


def test_command_menus() -> None:
    from bot.i18n import Translator

    translator = Translator.load()
    staff = [c.command for c in command_list(translator, "vi", admin=False)]
    reviewer = [c.command for c in command_list(translator, "vi", admin=False, reviewer=True)]
    admin = [c.command for c in command_list(translator, "vi", admin=True)]
    assert "my_initiatives" in staff and "review" not in staff
    assert {"review", "export_initiatives"} <= set(reviewer) and "grant" not in reviewer
    assert {"review", "export_initiatives", "grant"} <= set(admin)


async def test_a_typed_small_number_right_after_the_list_is_the_list_s(
    bot: Harness, alice: StubUser
) -> None:
    items = [await submit_initiative(bot, alice, title=f"Sáng kiến nhỏ {n}") for n in (1, 2)]
    await bot.say(alice, "/my_initiatives")
    detail = await shown(bot, alice.id, bot.say(alice, "1"))  # not the menu's first item
    assert detail.startswith(f"<b>{items[1].number}</b>")  # newest first
    assert await bot.state(alice, "initiative") is None
    await bot.say(alice, "xin chào")  # any other message ends it
    await bot.say(alice, "1")  # now the main menu's first item: the initiative form
    assert await bot.state(alice, "initiative") is not None


async def test_reviewers_get_their_help_and_the_service_refuses_others(
    bot: Harness, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    from bot.services.initiatives import InitiativeError

    item = await submit_initiative(bot, alice, title="Sáng kiến cần quyền xét")
    await bot.say(bob, "/start")
    await bot.say(bob, "/cancel")
    await bot.say(admin, f"/grant {bob.id} reviewer")
    await bot.say(bob, "/help")
    assert bot.t("help.reviewer", "en") in bot.last_text(bob.id)
    assert bot.t("help.admin", "en") not in bot.last_text(bob.id)
    staff = await bot.services.users.require(alice.id)
    with pytest.raises(InitiativeError) as exc:
        await bot.services.initiatives.review(
            StepRef(-99, (alice.id, alice.id)), staff, item.id, Status.REVIEWING
        )
    assert exc.value.code == "review.denied"
    assert (await row(bot, item.id))["status"] == "submitted"  # type: ignore[index]


async def test_the_menu_item_lists_my_initiatives(bot: Harness, alice: StubUser) -> None:
    item = await submit_initiative(bot, alice, title="Sáng kiến trong menu chính")
    await bot.say(alice, "/menu")
    assert "menu:my_initiatives" in [data for _, data in bot.buttons(alice.id)]
    await bot.press(alice, "menu:my_initiatives")
    assert item.number in bot.last_text(alice.id)
    mark = bot.mark()
    await bot.say(alice, "sáng kiến của tôi")  # its name typed
    assert any(item.number in text for text in bot.texts_since(mark, alice.id))
