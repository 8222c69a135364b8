"""Initiatives: the guided form (draft steps), submission, the review workflow and exports.

Every step is a :meth:`FlowService.step`: the draft, the conversation's next state and the
update id are written in one transaction before the bot replies. Submitting is idempotent: the
draft's id is unique in ``initiatives``, so a double tap or a redelivered update finds the record
the first one created.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import initiative as form_engine
from bot.domain.initiative import (
    REVIEW_MOVES,
    WITHDRAWABLE,
    Contact,
    FormDefinition,
    Initiative,
    Input,
    Status,
    StatusChange,
)
from bot.domain.models import User
from bot.domain.profile import InvalidInput
from bot.domain.text import as_id, clean
from bot.services.broadcasts import Notify
from bot.services.flows import FlowService, StepRef
from storage import Database
from storage import flows as flow_sql
from storage import initiatives as sql
from storage import users as user_sql

FLOW = "initiative"

log = logging.getLogger(__name__)


class InitiativeError(Exception):
    """A request the workflow refuses; ``code`` names the localized message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Opened:
    state: str
    resumed: bool
    amending: str | None = None  # the number of the initiative being amended
    # No draft, and these were returned for changes: the person chooses (nothing is opened)
    returned: list[Initiative] = field(default_factory=list)
    # The submitter's items renewed from a profile changed since (item: its new value)
    refreshed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unfinished:
    """A draft not submitted yet, as ``/my_initiatives`` mentions it."""

    title: str  # "" before the title is answered
    amending: str | None  # the number of the initiative it amends


@dataclass(frozen=True)
class SimilarTitle:
    """An earlier initiative whose title looks like the one just typed."""

    number: str
    title: str
    mine: bool  # the person's own (they may be submitting it twice)


@dataclass(frozen=True)
class Stepped:
    state: str | None  # None: the flow ended (draft discarded)
    notice: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    similar: list[SimilarTitle] = field(default_factory=list)  # earlier titles like this one
    draft: dict[str, Any] | None = None  # the draft as saved by the step


@dataclass(frozen=True)
class Submitted:
    initiative: Initiative
    created: bool  # False: this draft was already submitted (double tap, retry)
    resubmitted: bool = False


@dataclass(frozen=True)
class ExportData:
    initiatives: list[Initiative]
    history: list[StatusChange]
    submitters: dict[int, Contact]  # by user id: whom the office calls about each one


@dataclass(frozen=True)
class Moved:
    initiative: Initiative
    change: StatusChange


def _similar(
    title: str, keys: list[tuple[int, str, str]], exclude: int | None, threshold: int
) -> list[str]:
    earlier = [(number, key) for ident, number, key in keys if ident != exclude]
    return form_engine.similar_titles(title, earlier, threshold)


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


class InitiativeService:
    def __init__(
        self,
        db: Database,
        flows: FlowService,
        form: FormDefinition,
        *,
        tz: ZoneInfo,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.flows = flows
        self.form = form
        self.tz = tz
        self.clock = clock or (lambda: datetime.now(UTC))
        self._reading_titles: asyncio.Task[list[tuple[int, str, str]]] | None = None

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    # --- the draft ----------------------------------------------------------------------------

    async def draft(self, user_id: int) -> dict[str, Any]:
        return await self.flows.draft(user_id, FLOW) or {}

    async def unfinished(self, user_id: int) -> Unfinished | None:
        """The person's draft, if any: its title so far, or the initiative it amends."""
        async with self.db.lookup() as conn:
            draft = await flow_sql.get_draft(conn, user_id, FLOW)
            if draft is None:
                return None
            amending = await self._number(conn, draft.get("initiative_id"))
        answers = draft.get("answers")
        title = answers.get("title") if isinstance(answers, dict) else None
        return Unfinished(str(title or ""), amending)

    async def open(self, ref: StepRef, user: User, *, fresh: bool = False) -> Opened:
        """Start a draft, or resume the one in progress. Without a draft, a person whose
        initiatives were returned for changes is asked first whether to amend one or start
        another (``Opened.returned``, the conversation not entered); ``fresh``: they chose a
        new one."""
        async with self.flows.step(ref, FLOW) as step:
            draft = await flow_sql.get_draft(step.conn, user.user_id, FLOW)
            resumed = draft is not None
            if draft is None and not fresh:
                returned = await sql.listing(
                    step.conn, statuses=[Status.NEEDS_CHANGES], submitter_id=user.user_id
                )
                if returned:
                    step.state = None
                    return Opened("", False, returned=returned)
            refreshed: dict[str, str] = {}
            profile = user.profile.model_dump()
            if draft is None:
                draft = form_engine.new_draft(profile)
                await flow_sql.put_draft(step.conn, user.user_id, FLOW, draft)
            elif "me" in draft and draft["me"] != form_engine.me_from_profile(profile):
                changed = form_engine.refresh_me(draft, profile)
                await flow_sql.put_draft(step.conn, user.user_id, FLOW, draft)
                me = draft.get("me") or {}
                refreshed = {key: str(me[key]) for key in changed}
            step.state = form_engine.next_state(self.form, draft)
            amending = await self._number(step.conn, draft.get("initiative_id"))
        return Opened(str(step.state), resumed, amending, refreshed=refreshed)

    async def amend(self, ref: StepRef, user: User, initiative_id: int) -> Opened:
        """Open a returned initiative ("needs changes") as a draft, at the review screen."""
        async with self.flows.step(ref, FLOW) as step:
            found = await sql.get(step.conn, initiative_id)
            if found is None or found.submitter_id != user.user_id:
                raise InitiativeError("initiative.not_found")
            if found.status is not Status.NEEDS_CHANGES:
                raise InitiativeError("initiative.not_amendable", status=found.status.value)
            current = await flow_sql.get_draft(step.conn, user.user_id, FLOW)
            if current is not None and current.get("initiative_id") != initiative_id:
                if not form_engine.is_blank(current):
                    raise InitiativeError("initiative.other_draft")
                current = None  # opened and left before its first answer: nothing to keep
            draft = current or form_engine.draft_of(found)
            await flow_sql.put_draft(step.conn, user.user_id, FLOW, draft)
            step.state = form_engine.next_state(self.form, draft)
        return Opened(str(step.state), current is not None, found.number)

    async def _number(self, conn: Any, initiative_id: object) -> str | None:
        if not isinstance(initiative_id, int):
            return None
        found = await sql.get(conn, initiative_id)
        return found.number if found else None

    async def step(self, ref: StepRef, user_id: int, given: Input) -> Stepped:
        """Apply one input at the current step. Raises ``InvalidInput`` (nothing changes)."""
        title: str | None = None  # answered the title: check for similar ones afterwards
        amending: object = None
        async with self.flows.step(ref, FLOW) as step:
            draft = await flow_sql.get_draft(step.conn, user_id, FLOW)
            if draft is None:
                raise InvalidInput("draft_gone")
            state = form_engine.next_state(self.form, draft)
            outcome = form_engine.apply(self.form, draft, state, given, self.today())
            if outcome.notice == "initiative.discard":
                await flow_sql.delete_draft(step.conn, user_id, FLOW)
                step.state = None
                number = await self._number(step.conn, draft.get("initiative_id"))
                if number is not None:  # an amendment: the submitted record is untouched
                    return Stepped(None, "initiative.discard_amendment", {"number": number})
                return Stepped(None, outcome.notice)
            await flow_sql.put_draft(step.conn, user_id, FLOW, outcome.draft)
            step.state = form_engine.next_state(self.form, outcome.draft)
            if state == "title":
                title = str(outcome.draft["answers"]["title"])
                amending = outcome.draft.get("initiative_id")
        similar = await self.similar_titles(title, user_id, amending) if title else []
        return Stepped(str(step.state), outcome.notice, outcome.params, similar, outcome.draft)

    async def similar(self, title: str, exclude_id: object = None) -> list[str]:
        """Numbers of earlier initiatives whose titles look like ``title`` (a warning only).

        After the step's transaction, outside the write lock: every title is read (with a
        reader; callers arriving while a read is on its way share it, as when many people type
        their titles at once) and compared in a worker thread.
        """
        exclude = exclude_id if isinstance(exclude_id, int) else None
        try:
            keys = await self._title_keys()
        except sqlite3.Error as exc:  # the answer is saved already: go on without the warning
            log.warning("similar-title check failed: %s", exc)
            return []
        return await asyncio.to_thread(
            _similar, title, keys, exclude, self.form.limits.similar_title_score
        )

    async def similar_titles(
        self, title: str, user_id: int, exclude_id: object = None
    ) -> list[SimilarTitle]:
        """:meth:`similar`, with each one's title and whether it is the person's own."""
        numbers = await self.similar(title, exclude_id)
        if not numbers:
            return []
        try:
            async with self.db.read() as conn:
                found = await sql.briefs(conn, numbers)
        except sqlite3.Error as exc:
            log.warning("similar-title check failed: %s", exc)
            return []
        return [
            SimilarTitle(number, found_title, submitter == user_id)
            for number, found_title, submitter in found
        ]

    async def _title_keys(self) -> list[tuple[int, str, str]]:
        reading = self._reading_titles
        loop = asyncio.get_running_loop()
        if reading is None or reading.done() or reading.get_loop() is not loop:
            reading = self._reading_titles = loop.create_task(self._read_title_keys())
            reading.add_done_callback(_retrieve)  # a failure nobody waits for any more
        return await asyncio.shield(reading)

    async def _read_title_keys(self) -> list[tuple[int, str, str]]:
        async with self.db.read() as conn:
            return await sql.title_keys(conn)

    async def pause(self, ref: StepRef) -> None:
        """Leave the flow; the draft stays for later (``/sangkien`` resumes it)."""
        await self.flows.move(ref, FLOW, None)

    async def ask_discard(self, ref: StepRef, user_id: int) -> str:
        """``/xoanhap``: ask to confirm discarding the draft, from whatever step it is at.
        Raises :class:`InitiativeError` ``initiative.no_draft`` when there is none."""
        async with self.flows.step(ref, FLOW) as step:
            draft = await flow_sql.get_draft(step.conn, user_id, FLOW)
            if draft is None:
                raise InitiativeError("initiative.no_draft")
            draft = form_engine.ask_discard(draft)
            await flow_sql.put_draft(step.conn, user_id, FLOW, draft)
            step.state = form_engine.next_state(self.form, draft)
        return str(step.state)

    async def discard(self, ref: StepRef, user_id: int) -> None:
        async with self.flows.step(ref, FLOW, None) as step:
            await flow_sql.delete_draft(step.conn, user_id, FLOW)

    # --- submission ---------------------------------------------------------------------------

    async def submit(
        self, ref: StepRef, user: User, *, notify: Notify[Submitted] | None = None
    ) -> Submitted:
        """Turn the committed draft into an initiative (or update the one being amended).
        ``notify`` queues the reviewers' notice in the same transaction (not again for a
        double tap or a retried update: that returns the first record, ``created=False``)."""
        async with self.flows.step(ref, FLOW, None) as step:
            draft = await flow_sql.get_draft(step.conn, user.user_id, FLOW)
            if draft is None:
                raise InvalidInput("draft_gone")
            done = await sql.by_draft(step.conn, draft["draft_id"])
            if done is not None:  # submitted already; the draft should be gone, make sure
                await flow_sql.delete_draft(step.conn, user.user_id, FLOW)
                return Submitted(done, created=False)
            if not form_engine.is_complete(self.form, draft):
                raise InvalidInput("draft_incomplete")
            content = form_engine.content_of(self.form, draft)
            authors = form_engine.people(content.get("authors"))
            title = str(content["title"])
            now = self.clock().astimezone(UTC)
            at = now.isoformat(timespec="seconds")
            amended = draft.get("initiative_id")
            name = user.display_name
            if isinstance(amended, int):
                before = await sql.get(step.conn, amended)
                if before is None or before.status is not Status.NEEDS_CHANGES:
                    raise InitiativeError("initiative.not_amendable")
                await sql.replace_content(
                    step.conn,
                    amended,
                    draft_id=draft["draft_id"],
                    title=title,
                    title_key=form_engine.title_key(title),
                    content=content,
                    authors=authors,
                    status=Status.SUBMITTED,
                    at=at,
                )
                await sql.log_change(
                    step.conn,
                    amended,
                    actor_id=user.user_id,
                    actor_name=name,
                    from_status=before.status,
                    to_status=Status.SUBMITTED,
                    comment=None,
                    at=at,
                )
                initiative_id = amended
            else:
                year = now.astimezone(self.tz).year
                seq = await sql.next_seq(step.conn, year)
                initiative_id = await sql.insert(
                    step.conn,
                    number=form_engine.format_number(self.form.number_prefix, year, seq),
                    year=year,
                    seq=seq,
                    submitter_id=user.user_id,
                    draft_id=draft["draft_id"],
                    title=title,
                    title_key=form_engine.title_key(title),
                    unit=user.profile.unit,
                    form_version=self.form.version,
                    content=content,
                    authors=authors,
                    at=at,
                )
                await sql.log_change(
                    step.conn,
                    initiative_id,
                    actor_id=user.user_id,
                    actor_name=name,
                    from_status=None,
                    to_status=Status.SUBMITTED,
                    comment=None,
                    at=at,
                )
            await flow_sql.delete_draft(step.conn, user.user_id, FLOW)
            saved = await sql.get(step.conn, initiative_id)
            assert saved is not None
            submitted = Submitted(saved, created=True, resubmitted=isinstance(amended, int))
            if notify is not None:
                await notify(step.conn, submitted)
        return submitted

    # --- the person's initiatives -------------------------------------------------------------

    async def mine(self, user_id: int) -> list[Initiative]:
        async with self.db.read() as conn:
            return await sql.listing(conn, submitter_id=user_id, limit=1_000_000)

    async def get(self, initiative_id: int) -> Initiative | None:
        async with self.db.read() as conn:
            return await sql.get(conn, initiative_id)

    async def find(self, reference: str) -> Initiative | None:
        """By id (``7``) or number (``SK-2025-0007``)."""
        reference = clean(reference)
        async with self.db.read() as conn:
            if reference.isascii() and reference.isdecimal():
                ident = as_id(reference)
                return await sql.get(conn, ident) if ident is not None else None
            return await sql.by_number(conn, form_engine.normalise_number(reference))

    async def by_sequence(self, seq: int) -> Initiative | None:
        """The latest year's initiative numbered ``seq`` («0007» typed for SK-2026-0007)."""
        async with self.db.read() as conn:
            return await sql.by_sequence(conn, seq)

    async def history(self, initiative_id: int) -> list[StatusChange]:
        async with self.db.read() as conn:
            return await sql.history(conn, initiative_id)

    async def withdraw(
        self, ref: StepRef, user: User, initiative_id: int, *, notify: Notify[Moved] | None = None
    ) -> Moved:
        """The submitter takes it back, before the review starts. ``notify`` queues the
        office's notice in the same transaction (a retried update finds it withdrawn: refused,
        nothing queued twice)."""
        async with self.flows.step(ref, FLOW, record=True) as step:
            found = await sql.get(step.conn, initiative_id)
            if found is None or found.submitter_id != user.user_id:
                raise InitiativeError("initiative.not_found")
            if found.status not in WITHDRAWABLE:
                raise InitiativeError("initiative.not_withdrawable", status=found.status.value)
            moved = await self._move(step.conn, found, user, Status.WITHDRAWN, None)
            draft = await flow_sql.get_draft(step.conn, user.user_id, FLOW)
            if draft is not None and draft.get("initiative_id") == initiative_id:
                await flow_sql.delete_draft(step.conn, user.user_id, FLOW)
            if notify is not None:
                await notify(step.conn, moved)
        return moved

    # --- review -------------------------------------------------------------------------------

    async def queue(
        self, statuses: list[Status] | None = None, unit: str | None = None
    ) -> list[Initiative]:
        async with self.db.read() as conn:
            return await sql.listing(conn, statuses=statuses, unit=unit, limit=1_000_000)

    async def counts(self, unit: str | None = None) -> dict[Status, int]:
        async with self.db.read() as conn:
            return await sql.count_by_status(conn, unit)

    async def units(self) -> list[str]:
        async with self.db.read() as conn:
            return await sql.units(conn)

    async def review(
        self,
        ref: StepRef,
        actor: User,
        initiative_id: int,
        to: Status,
        comment: str | None = None,
        *,
        conversation: str | None = None,
        state: object | None = None,
        notify: Notify[Moved] | None = None,
    ) -> Moved:
        """A reviewer's decision. ``conversation``/``state`` move the reviewer's own flow in
        the same transaction (the comment step), and ``notify`` queues the author's
        notification in the outbox there too (nothing is queued if the decision fails)."""
        if not actor.is_reviewer:  # the handlers check too; the rule lives here
            raise InitiativeError("review.denied")
        text = form_engine.checked_comment(to, comment)
        step_ctx = (
            self.flows.step(ref, conversation, state)
            if conversation is not None
            else self.flows.step(ref, FLOW, record=True)
        )
        async with step_ctx as step:
            found = await sql.get(step.conn, initiative_id)
            if found is None:
                raise InitiativeError("initiative.not_found")
            if found.submitter_id == actor.user_id:  # nobody decides on their own application
                raise InitiativeError("review.own")
            if to not in REVIEW_MOVES.get(found.status, ()):
                raise InitiativeError("review.bad_move", status=found.status.value, to=to.value)
            moved = await self._move(step.conn, found, actor, to, text)
            if notify is not None:
                await notify(step.conn, moved)
        return moved

    async def _move(
        self, conn: Any, found: Initiative, actor: User, to: Status, comment: str | None
    ) -> Moved:
        at = self.clock().astimezone(UTC).isoformat(timespec="seconds")
        await sql.set_status(conn, found.id, to, comment, at)
        await sql.log_change(
            conn,
            found.id,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            from_status=found.status,
            to_status=to,
            comment=comment,
            at=at,
        )
        saved = await sql.get(conn, found.id)
        assert saved is not None
        change = StatusChange(
            initiative_id=found.id,
            at=datetime.fromisoformat(at),
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            from_status=found.status,
            to_status=to,
            comment=comment,
        )
        return Moved(saved, change)

    # --- exports and reminders ----------------------------------------------------------------

    async def export_data(self) -> ExportData:
        """Every initiative, every change of status and the submitters' names and phones, read
        in one snapshot."""
        async with self.db.read() as conn:
            initiatives = await sql.listing(conn, limit=1_000_000)
            history = await sql.history(conn)
            ids = sorted({i.submitter_id for i in initiatives if i.submitter_id is not None})
            found = await user_sql.contacts(conn, ids)
        submitters = {
            uid: Contact(full_name=name, phone=phone) for uid, (name, phone) in found.items()
        }
        return ExportData(initiatives, history, submitters)

    async def drafts_to_remind(self) -> list[int]:
        """People with a draft untouched for ``draft_reminder_days``, not reminded yet; each is
        marked reminded here (a reminder is sent at most once)."""
        days = self.form.limits.draft_reminder_days
        cutoff = (self.clock().astimezone(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
        async with self.db.transaction() as conn:
            people = await sql.stale_drafts(conn, FLOW, cutoff)
            return [p for p in people if await sql.mark_reminded(conn, p, FLOW)]
