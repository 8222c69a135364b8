"""Straight to the step: an update of a person in the middle of a flow goes to that flow first.

In group 0 the framework asks each handler in turn whether it takes the update; the flows
(persistent ``ConversationHandler``\\ s) come first, in a deliberate order (see ``bot.app``), so
the answer to the last flow registered was checked against every flow before it: their entry
points, which all turn away a person who is in another flow (``NotInFlow``, or buttons and
commands of their own). :class:`ActiveFlowFirst`, the first handler of group 0, asks only the
flow the person is in (known without a query: ``FlowStates``) and takes the update when one of
that flow's *step* handlers accepts it. Entry points and fallbacks are left to the usual order,
so a command, a deep link or another flow's button reaches whoever took it before.

``tests/test_active_flow.py`` checks the condition this relies on: no handler before a flow
takes what that flow's steps take from a person in it.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, ConversationHandler

from bot.services.flows import FlowStates
from bot.tg.context import BotContext

Checked = tuple[ConversationHandler[BotContext], object]


async def _never(update: object, context: object) -> None:  # pragma: no cover - not called
    raise AssertionError("ActiveFlowFirst hands updates to the flow's own handlers")


class ActiveFlowFirst(BaseHandler[Update, BotContext, object]):
    def __init__(self, states: FlowStates) -> None:
        super().__init__(_never)
        self.states = states
        self.flows: dict[str, ConversationHandler[BotContext]] = {}

    def add(self, flow: ConversationHandler[BotContext]) -> ConversationHandler[BotContext]:
        """Register ``flow`` (a named conversation), returned as is."""
        assert flow.name is not None
        self.flows[flow.name] = flow
        return flow

    def check_update(self, update: object) -> Checked | None:
        if not isinstance(update, Update):
            return None
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return None
        name = self.states.active((chat.id, user.id))
        flow = self.flows.get(name) if name is not None else None
        if flow is None:
            return None
        checked = flow.check_update(update)
        if not isinstance(checked, tuple):
            return None
        state, _key, handler, _check = checked
        if handler not in flow.states.get(state, ()):
            return None  # an entry point or a fallback: in its usual place
        return flow, checked

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, BotContext, Any, Any, Any, Any],
        check_result: object,
        context: BotContext,
    ) -> object:
        assert isinstance(check_result, tuple)
        flow, checked = check_result
        return await flow.handle_update(update, application, checked, context)
