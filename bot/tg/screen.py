"""What a person's last screen offered, so that typing its button works as well as pressing it.

Every choice offered by inline buttons also accepts its typed number or label (Zalo has no
buttons, and people type anyway). Outside a conversation there is no state saying what "2"
means, so a screen with buttons remembers its options here (in the person's ``user_data``,
which the persistence keeps across a restart) and a handler that runs before the main menu's
typed choices asks :meth:`Screen.resolve` what the next message means. The memory stays "live"
only while the messages are its options (or, for most screens, for the next message only), so a
"2" typed later means the menu's second item again. (A screen whose labels stay valid after
other messages, until its time limit, looks them up with ``live_only=False``.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.domain.choices import (
    Choice,
    match_choice,
    plain_answer,
    starting_with,
    typed_number,
    zero_padded,
)
from bot.domain.text import fold


@dataclass(frozen=True)
class Option:
    """One button of a screen: its callback ``data``, every label it may be typed as, and its
    typed number when that is not its position (``None``: its position, from 1; ``0``: none,
    e.g. a "back" button in a numbered list). ``answers``: words that pick it only right after
    the screen (a "có" to its question; said later, it answers something else)."""

    data: str
    labels: tuple[str, ...] = ()
    number: int | None = None
    answers: tuple[str, ...] = ()
    text: str = ""  # the button's text as shown (when a message names it)


class Typed(Enum):
    PICKED = "picked"  # the text designates one of the options
    OUT_OF_RANGE = "out_of_range"  # a number, but none of the options has it (still live)
    OTHER = "other"  # anything else: the memory is over


@dataclass(frozen=True)
class Resolved:
    kind: Typed
    data: str | None = None
    low: int = 0  # the numbers the options have (for "type a number from low to high")
    high: int = 0


Clock = Callable[[], float]
LATEST = "screen_latest"  # user_data: the key of the person's latest screen with a memory


class Screen:
    """The memory of one kind of screen, under ``key`` in ``user_data``; ``ttl`` seconds after
    the screen was sent its options are forgotten (``None``: no time limit). ``sticky``: a pick
    leaves the screen live (its buttons stay valid, e.g. 👍 after 👎 on the same answer)."""

    def __init__(
        self,
        key: str,
        ttl: float | None = None,
        *,
        sticky: bool = False,
        clock: Clock = time.time,
    ) -> None:
        self.key = key
        self.ttl = ttl
        self.sticky = sticky
        self.clock = clock

    def remember(self, user_data: MutableMapping[str, Any], options: Sequence[Option]) -> None:
        """The screen just sent offers ``options`` (in their order on the screen). It is the
        person's latest screen: the others are no longer live (a "có" typed after it answers
        it, not an older screen of another kind left live by a button press)."""
        user_data[LATEST] = self.key
        user_data[self.key] = {
            "opts": [
                {"d": o.data, "t": list(o.labels), "n": o.number, "a": list(o.answers), "x": o.text}
                for o in options
            ],
            "at": self.clock(),
            "live": bool(options),
        }

    def forget(self, user_data: MutableMapping[str, Any]) -> None:
        user_data.pop(self.key, None)

    def options(
        self, user_data: MutableMapping[str, Any] | None, *, live_only: bool = True
    ) -> list[Option]:
        """The options of the last screen while they are live, else none (``live_only=False``:
        also once the memory has ended, until the time limit)."""
        memory = user_data.get(self.key) if user_data is not None else None
        if not isinstance(memory, dict) or (live_only and not memory.get("live")):
            return []
        assert user_data is not None
        if live_only and user_data.get(LATEST, self.key) != self.key:
            return []  # another kind of screen came after it
        if self.ttl is not None and self.clock() - float(memory.get("at") or 0) > self.ttl:
            return []
        found = []
        valid = [raw for raw in memory.get("opts") or [] if isinstance(raw, dict)]
        for position, raw in enumerate(valid, start=1):
            number = raw.get("n")
            found.append(
                Option(
                    str(raw.get("d")),
                    tuple(str(label) for label in raw.get("t") or []),
                    position if number is None else int(number),
                    tuple(str(word) for word in raw.get("a") or []),
                    str(raw.get("x") or ""),
                )
            )
        return found

    def pick(
        self, user_data: MutableMapping[str, Any] | None, text: str, *, live_only: bool = True
    ) -> str | None:
        """The option ``text`` designates (its number or one of its labels), else ``None``
        (``live_only``: as in :meth:`options`). Does not change the memory."""
        options = self.options(user_data, live_only=live_only)
        if not options or zero_padded(text):  # «0002»: SK-2026-0002, not the second button
            return None
        wanted = typed_number(text)  # "2", «số 2», «dạ 2 ạ» (unless a label says so: «2 A»)
        if wanted is not None and fold(text) not in {fold(x) for o in options for x in o.labels}:
            return next((o.data for o in options if o.number == wanted and wanted > 0), None)
        return match_choice(text, [Choice(o.data, o.labels) for o in options])

    def starting_with(
        self, user_data: MutableMapping[str, Any] | None, text: str, *, live_only: bool = True
    ) -> list[Option]:
        """The options with a label that starts with the words ``text``: when :meth:`pick`
        found none because there are several («lọc» for «Lọc theo trạng thái» and «Lọc
        theo đơn vị»), what to ask the person to choose between."""
        options = self.options(user_data, live_only=live_only)
        values = starting_with(text, [Choice(str(i), o.labels) for i, o in enumerate(options)])
        return [options[int(value)] for value in values]

    def answer(self, user_data: MutableMapping[str, Any] | None, text: str) -> str | None:
        """The option one of whose ``answers`` ``text`` is, while the screen is live (the
        person's latest, and the message right after it), else ``None``."""
        said = {fold(text), plain_answer(text)}  # «có», «dạ có ạ»
        return next((o.data for o in self.options(user_data) if said & set(o.answers)), None)

    def resolve(self, user_data: MutableMapping[str, Any] | None, text: str) -> Resolved:
        """What the next message means for the last screen. Anything that is not one of its
        options ends the memory; so does a pick unless the screen is sticky (the screen that
        answers a pick remembers its own options). A number that is none of the options is
        out of range and leaves the memory live, so that the person can correct it."""
        options = self.options(user_data)
        if not options:
            return Resolved(Typed.OTHER)
        picked = self.pick(user_data, text)
        if picked is not None:
            if not self.sticky:
                self.end(user_data)
            return Resolved(Typed.PICKED, picked)
        numbers = [o.number for o in options if o.number]
        if typed_number(text) is not None and numbers and not zero_padded(text):
            return Resolved(Typed.OUT_OF_RANGE, low=min(numbers), high=max(numbers))
        self.end(user_data)
        return Resolved(Typed.OTHER)

    def end(self, user_data: MutableMapping[str, Any] | None) -> None:
        """The next message is not for this screen any more."""
        memory = user_data.get(self.key) if user_data is not None else None
        if isinstance(memory, dict):
            memory["live"] = False


def takes_number(user_data: MutableMapping[str, Any] | None, number: int) -> bool:
    """Whether the person's latest screen with a memory is live and has an option with this
    typed number (its time limit aside: the screen's own handler checks that)."""
    latest = user_data.get(LATEST) if user_data is not None else None
    if not isinstance(latest, str):
        return False
    return any(option.number == number for option in Screen(latest).options(user_data))
