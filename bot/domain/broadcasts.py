"""Announcements: who receives them (the audience) and what a queued one looks like."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from bot.domain.telegram_html import parse

TEXT_MAX = 4096  # a message
CAPTION_MAX = 1024  # a photo's or document's caption
IDS_MAX = 5000  # a pasted list of user ids
MAX_RATE = 30.0  # messages per second Telegram allows a bot overall
PAID_MAX_RATE = 1000.0  # with paid broadcasts (allow_paid_broadcast)


class AudienceKind(StrEnum):
    ALL = "all"
    UNIT = "unit"
    ROLE = "role"
    RSVP = "rsvp"
    AUTHORS = "authors"
    IDS = "ids"


RsvpSegment = Literal["confirmed", "waitlisted", "declined", "unanswered"]


class Audience(BaseModel):
    """Everyone; a unit; a role; people by RSVP answer for an event; initiative authors
    (optionally by status); or a pasted list of user ids."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AudienceKind
    unit: str | None = None
    role: str | None = None
    event_id: str | None = None
    segment: RsvpSegment | None = None
    status: str | None = None  # initiative status; None: any
    ids: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Audience:
        needed = {
            AudienceKind.UNIT: self.unit,
            AudienceKind.ROLE: self.role,
            AudienceKind.RSVP: self.event_id and self.segment,
            AudienceKind.IDS: self.ids,
        }
        if self.kind in needed and not needed[self.kind]:
            raise ValueError(f"audience {self.kind.value}: incomplete")
        if len(self.ids) > IDS_MAX:
            raise ValueError("audience ids: too many")
        return self


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class RowStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


class Content(BaseModel):
    """What is sent: HTML text, or a photo/document (Telegram file id) with an HTML caption."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["text", "photo", "document", "notice"] = "text"
    text: str = ""
    file_id: str | None = None

    @model_validator(mode="after")
    def _fits(self) -> Content:
        if self.kind == "notice":  # each row carries its own text (a notification)
            return self
        shown = parse(self.text)  # Telegram's limits count what people read, not the markup
        if self.kind == "text":
            if not shown.strip():
                raise ValueError("empty")
            if len(shown) > TEXT_MAX:
                raise ValueError("too long")
        else:
            if not self.file_id:
                raise ValueError("no file")
            if len(shown) > CAPTION_MAX:
                raise ValueError("caption too long")
        return self


class Broadcast(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    created_by: int | None
    created_at: datetime
    content: Content
    essential: bool
    audience: Audience
    status: BroadcastStatus
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress_chat_id: int | None = None
    progress_message_id: int | None = None
    total: int = 0


class Progress(BaseModel):
    """Counts of a broadcast's rows by status."""

    model_config = ConfigDict(frozen=True)

    total: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    cancelled: int = 0
    pending: int = 0

    @property
    def done(self) -> bool:
        return self.pending == 0


class OutboxRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    broadcast_id: int
    user_id: int
    attempts: int
    status: RowStatus = RowStatus.PENDING
    error: str | None = None
    message_id: int | None = None
    text: str | None = None  # a notification's own text (else the broadcast's content)


def effective_rate(rate: float, paid: bool) -> float:
    """The configured rate, never above Telegram's limit unless paid broadcasts are on."""
    ceiling = PAID_MAX_RATE if paid else MAX_RATE
    return max(0.1, min(rate, ceiling))
