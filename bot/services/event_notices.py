"""What delegates are told when an event moves (a new time or place), in their language.

Framework-free, so that the chat (``/event_edit``) and the command line (``thidua-bot event
import``) queue the same notices, in the transaction that saves the event
(:class:`~bot.services.broadcasts.Notify`); the running bot's delivery worker sends them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from zoneinfo import ZoneInfo

from bot.documents.ics import location_of
from bot.domain.events import Answer, Event, Seat
from bot.i18n import Translator
from bot.services.broadcasts import Notice
from bot.services.events import Saved
from bot.services.users import UserService


def duration_text(t: Callable[..., str], minutes: int) -> str:
    """``4 giờ``, ``1 ngày 30 phút``... with the translator ``t`` of one language."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(t("events.days", n=days))
    if hours:
        parts.append(t("events.hours", n=hours))
    if mins or not parts:
        parts.append(t("events.minutes", n=mins))
    return " ".join(parts)


def _local(event: Event, tz: ZoneInfo) -> str:
    return event.starts_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")


class EventNotices:
    def __init__(
        self, translator: Translator, users: UserService, *, default_language: str, tz: ZoneInfo
    ) -> None:
        self.translator = translator
        self.users = users
        self.default_language = default_language
        self.tz = tz

    def _when(self, t: Callable[..., str], event: Event) -> str:
        return f"{_local(event, self.tz)} ({duration_text(t, event.duration_minutes)})"

    async def moved(self, saved: Saved) -> list[Notice]:
        """What each person of ``saved.affected`` (a seat or on the waiting list) is told of
        the new time and place. It runs inside the transaction that saves the event: it only
        reads."""
        event, before = saved.event, saved.before
        notices: list[Notice] = []
        for rsvp in saved.affected:
            user = await self.users.get(rsvp.user_id)
            locale = user.locale(self.default_language) if user else self.default_language
            t = functools.partial(self.translator, locale)
            when, place = self._when(t, event), location_of(event)
            parts = [t("events.changed", title=event.title)]
            # What changed, with what it was: «Thời gian: 14:00 … (trước đây: 08:00 …)»
            old_when = self._when(t, before) if before is not None else when
            if old_when != when:
                parts.append(t("events.changed_when", when=when, old=old_when))
            else:
                parts.append(t("events.same_when", when=when))
            old_place = location_of(before) if before is not None else place
            if old_place != place:
                parts.append(t("events.changed_place", place=place, old=old_place))
            else:
                parts.append(t("events.same_place", place=place))
            if event.map_url:
                parts.append(t("events.changed_map", url=event.map_url))
            if rsvp.seat is Seat.WAITLISTED:
                parts.append(t("events.changed_waitlisted"))
            elif rsvp.seat is Seat.CONFIRMED:  # the calendar file they imported is out of date
                parts.append(t("events.changed_files"))
            elif rsvp.seat is Seat.PENDING:
                parts.append(t("events.changed_pending"))
            elif rsvp.answer is Answer.MAYBE:  # the new time may settle it
                parts.append(t("events.changed_maybe"))
            notices.append((rsvp.user_id, "\n".join(parts)))
        return notices
