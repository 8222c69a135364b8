"""``ActiveFlowFirst`` changes how fast a flow's step is found, never which handler takes an
update: for people in several flows and many kinds of updates, the handler chosen with it is
the one the ordered group 0 would choose without it."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler

from bot.tg.active_flow import ActiveFlowFirst
from bot.tg.stub_api import JSON, StubUser
from tests.harness import Harness
from tests.initiative_fixtures import register

Choice = tuple[str | None, object] | None


def _choose(handlers: list[BaseHandler[Any, Any, Any]], update: Update, *, router: bool) -> Choice:
    """What the framework would run for ``update`` in group 0: (flow name, handler)."""
    for handler in handlers:
        if isinstance(handler, ActiveFlowFirst) and not router:
            continue
        check = handler.check_update(update)
        if check is None or check is False:
            continue
        if isinstance(handler, ActiveFlowFirst):
            assert isinstance(check, tuple)
            flow, inner = check
            return flow.name, inner[2]
        if isinstance(handler, ConversationHandler):
            assert isinstance(check, tuple)
            return handler.name, check[2]
        return None, handler
    return None


def _probes(bot: Harness, user: StubUser) -> list[JSON]:
    stub = bot.stub
    texts = ["Một câu trả lời", "1", "gửi", "/start", "/start rsvp_abcdef", "/xong", "/cancel"]
    texts += ["/help", "/sangkien", "/profile", "/hoi", "/review", "Hồ sơ", "bỏ qua"]
    probes = [stub.user_message(user, text) for text in texts]
    photo = {"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 9, "height": 9}]}
    probes.append(stub.user_message(user, None, extra=photo))
    message: JSON = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": user.id, "type": "private"},
        "from": stub.bot,
        "text": "…",
        "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "x"}]]},
    }
    for data in (
        "sk:c:0",
        "sk:skip",
        "sk:commit",
        "pf:yes",
        "pf:skip",
        "ev:a:hoi-nghi-2025:y:abcdef",
        "menu:initiative",
        "menu:profile",
        "rv:m:1:needs_changes",
        "ini:amend:1",
        "kb:faq:1",
        "stale",
    ):
        probes.append(stub.user_press(user, message, data))
    return probes


async def test_the_same_handler_is_chosen_with_and_without_it(bot: Harness) -> None:
    people = {
        "in the form": StubUser(3101, first_name="Form"),
        "registering": StubUser(3102, first_name="Reg"),
        "asking": StubUser(3103, first_name="Ask"),
        "in no flow": StubUser(3104, first_name="Idle"),
    }
    await register(bot, people["in the form"], "Nguyễn Thị Form")
    await bot.say(people["in the form"], "/sangkien")
    await bot.say(people["registering"], "/start")
    await register(bot, people["asking"], "Trần Văn Hỏi")
    await bot.say(people["asking"], "/hoi")
    await register(bot, people["in no flow"], "Lê Văn Rảnh")

    states = bot.services.states
    assert states.active((3101, 3101)) == "initiative"
    assert states.active((3102, 3102)) == "profile"
    assert states.active((3103, 3103)) == "ask"
    assert states.active((3104, 3104)) is None

    app = bot.app
    assert app is not None
    handlers = list(app.handlers[0])
    assert isinstance(handlers[0], ActiveFlowFirst)
    taken = 0
    for who, person in people.items():
        for data in _probes(bot, person):
            update = Update.de_json(data, app.bot)
            assert update is not None
            with_router = _choose(handlers, update, router=True)
            assert with_router == _choose(handlers, update, router=False), (who, data)
            if handlers[0].check_update(update) is not None:
                taken += 1
    assert taken >= 8  # the fast path is used: typed answers, the form's buttons, /xong, photo


async def test_a_step_through_the_fast_path_is_the_flow_s_own(bot: Harness) -> None:
    person = StubUser(3201, first_name="Lan")
    await register(bot, person, "Phạm Thị Lan")
    await bot.say(person, "/sangkien")
    state = await bot.state(person, "initiative")
    await bot.press(person, "sk:c:0")  # taken by ActiveFlowFirst, handled by the form's step
    assert await bot.state(person, "initiative") != state
    draft = await bot.services.initiatives.draft(person.id)
    assert draft["answers"]["recipient"]
