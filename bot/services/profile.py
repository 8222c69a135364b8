"""Onboarding and profile editing: consent, full name, unit, position, optional phone.

The steps are the conversation's states. Answers go to a draft (table ``drafts``) in the same
transaction as the step; the profile is written when the person confirms. In edit mode a field is
written to the profile at once and the person returns to the profile screen.
"""

from __future__ import annotations

from typing import Any, Literal

from bot.domain.models import User
from bot.services.flows import FlowService, StepRef
from bot.services.users import CONSENT_NOTICE_VERSION, UnknownUserError, UserService
from storage import flows as flow_sql
from storage import users as user_sql

FLOW = "profile"
FIELDS: tuple[str, ...] = ("full_name", "unit", "position", "phone")
CONSENT, CONFIRM, EDIT = "consent", "confirm", "edit"
STATES: tuple[str, ...] = (CONSENT, *FIELDS, CONFIRM, EDIT)
Mode = Literal["onboarding", "edit"]


def next_step(draft: dict[str, Any]) -> str:
    """What to ask next: ``consent``, a field name, ``confirm`` (onboarding) or ``edit``."""
    if draft.get("mode") == "edit":
        return draft.get("editing") or EDIT
    if not draft.get("consent"):
        return CONSENT
    for name in FIELDS:
        if name not in draft:
            return name
    return CONFIRM


class ProfileService:
    def __init__(self, flows: FlowService, users: UserService) -> None:
        self.flows = flows
        self.users = users

    async def draft(self, user_id: int) -> dict[str, Any]:
        return await self.flows.draft(user_id, FLOW) or {}

    async def begin(self, ref: StepRef, user_id: int, mode: Mode) -> str:
        """Start or resume; returns the step to ask. A draft in progress is kept."""
        consented = await self.users.has_consented(user_id)
        async with self.flows.step(ref, FLOW) as step:
            draft = await flow_sql.get_draft(step.conn, user_id, FLOW) or {}
            if draft.get("mode") != mode:
                draft = {"mode": mode}
            if mode == "edit":
                draft.pop("editing", None)
            elif consented:
                draft["consent"] = True
            await flow_sql.put_draft(step.conn, user_id, FLOW, draft)
            step.state = next_step(draft)
        return str(step.state)

    async def consent(self, ref: StepRef, user_id: int, accepted: bool) -> str | None:
        """Record the decision; returns the next step, or ``None`` when the person declined."""
        async with self.flows.step(ref, FLOW) as step:
            await user_sql.record_consent(step.conn, user_id, CONSENT_NOTICE_VERSION, accepted)
            if not accepted:
                await flow_sql.delete_draft(step.conn, user_id, FLOW)
                step.state = None
                return None
            draft = await flow_sql.get_draft(step.conn, user_id, FLOW) or {"mode": "onboarding"}
            draft["consent"] = True
            await flow_sql.put_draft(step.conn, user_id, FLOW, draft)
            step.state = next_step(draft)
        return str(step.state)

    async def answer(self, ref: StepRef, user_id: int, field: str, value: str | None) -> str:
        """Save one answer; returns the next step."""
        if field not in FIELDS:
            raise ValueError(field)
        async with self.flows.step(ref, FLOW) as step:
            draft = await flow_sql.get_draft(step.conn, user_id, FLOW) or {"mode": "onboarding"}
            if draft.get("mode") == "edit":
                await user_sql.set_profile(step.conn, user_id, {field: value}, complete=False)
                draft.pop("editing", None)
            else:
                draft[field] = value
            await flow_sql.put_draft(step.conn, user_id, FLOW, draft)
            step.state = next_step(draft)
            user = await self.users.refresh(step.conn, user_id)
        self.users.remember(user_id, user)
        return str(step.state)

    async def change(self, ref: StepRef, user_id: int, field: str) -> str:
        """Ask ``field`` again (from the confirmation or the profile screen)."""
        if field not in FIELDS:
            raise ValueError(field)
        async with self.flows.step(ref, FLOW) as step:
            draft = await flow_sql.get_draft(step.conn, user_id, FLOW) or {"mode": "onboarding"}
            if draft.get("mode") == "edit":
                draft["editing"] = field
            else:
                draft.pop(field, None)
            await flow_sql.put_draft(step.conn, user_id, FLOW, draft)
            step.state = field
        return field

    async def complete(self, ref: StepRef, user_id: int) -> User:
        """Write the confirmed draft to the profile and end the flow."""
        async with self.flows.step(ref, FLOW, None) as step:
            draft = await flow_sql.get_draft(step.conn, user_id, FLOW) or {}
            fields = {name: draft.get(name) or None for name in FIELDS}
            await user_sql.set_profile(step.conn, user_id, fields, complete=True)
            await flow_sql.delete_draft(step.conn, user_id, FLOW)
            user = await self.users.refresh(step.conn, user_id)
        self.users.remember(user_id, user)
        if user is None:
            raise UnknownUserError(user_id)
        return user

    async def finish(
        self, ref: StepRef, user_id: int, *, then: str | None = None, record: bool = True
    ) -> None:
        """Leave the flow (cancel, or done editing): the draft is discarded. ``then``: a step
        of the handlers' own that the flow moves to instead of ending (the erasure's
        confirmation, asked from the profile screen). ``record=False``: the update goes on to
        another step, which records it."""
        async with self.flows.step(ref, FLOW, then, record=record) as step:
            await flow_sql.delete_draft(step.conn, user_id, FLOW)
