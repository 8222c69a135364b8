"""The shared memory of a screen's buttons for their typed numbers and labels."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.tg.screen import Option, Resolved, Screen, Typed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


OPTIONS = [
    Option("ev:o:a", ("Hội nghị tổng kết",)),
    Option("ev:o:b", ("Tập huấn sáng kiến",)),
    Option("ev:back", ("Quay lại", "Back"), number=0),
]


def test_a_typed_number_or_label_picks_the_button() -> None:
    screen = Screen("s")
    data: dict[str, Any] = {}
    screen.remember(data, OPTIONS)
    assert screen.pick(data, "2") == "ev:o:b"
    assert screen.pick(data, " 1. ") == "ev:o:a"
    assert screen.pick(data, "tap huan sang kien") == "ev:o:b"
    assert screen.pick(data, "quay lai") == "ev:back"
    assert screen.resolve(data, "0").kind is Typed.OUT_OF_RANGE  # "back" has no number
    assert screen.resolve(data, "2") == Resolved(Typed.PICKED, "ev:o:b")
    assert screen.resolve(data, "2").kind is Typed.OTHER  # for the next message only


def test_out_of_range_keeps_the_screen_anything_else_ends_it() -> None:
    screen = Screen("s")
    data: dict[str, Any] = {}
    screen.remember(data, OPTIONS)
    assert screen.resolve(data, "7") == Resolved(Typed.OUT_OF_RANGE, low=1, high=2)
    assert screen.resolve(data, "khi nào hết hạn nộp?").kind is Typed.OTHER
    assert screen.resolve(data, "1").kind is Typed.OTHER  # the menu's "1" again
    assert screen.options(data) == []


def test_explicit_numbers_and_the_time_limit() -> None:
    clock = Clock()
    screen = Screen("s", ttl=60, clock=clock)
    data: dict[str, Any] = {}
    screen.remember(data, [Option("rv:o:7", ("SK-2025-0007",), number=7)])
    assert screen.resolve(data, "1") == Resolved(Typed.OUT_OF_RANGE, low=7, high=7)
    assert screen.resolve(data, "7") == Resolved(Typed.PICKED, "rv:o:7")
    screen.remember(data, [Option("rv:o:7", ("SK-2025-0007",), number=7)])
    clock.now += 61
    assert screen.resolve(data, "7").kind is Typed.OTHER


def test_a_sticky_screen_stays_until_something_else_is_typed() -> None:
    screen = Screen("s", sticky=True)
    data: dict[str, Any] = {}
    screen.remember(data, OPTIONS)
    assert screen.resolve(data, "2").data == "ev:o:b"
    assert screen.resolve(data, "1").data == "ev:o:a"
    assert screen.resolve(data, "cảm ơn").kind is Typed.OTHER
    assert screen.resolve(data, "1").kind is Typed.OTHER


def test_an_ended_memory_still_answers_when_asked_until_the_time_limit() -> None:
    clock = Clock()
    screen = Screen("s", ttl=60, clock=clock)
    data: dict[str, Any] = {}
    screen.remember(data, OPTIONS)
    assert screen.resolve(data, "cảm ơn").kind is Typed.OTHER
    assert screen.options(data) == [] and screen.pick(data, "quay lai") is None
    assert [o.number for o in screen.options(data, live_only=False)] == [1, 2, 0]
    assert screen.pick(data, "quay lai", live_only=False) == "ev:back"
    assert screen.pick(data, "2", live_only=False) == "ev:o:b"
    assert screen.resolve(data, "2").kind is Typed.OTHER  # still not live
    clock.now += 61
    assert screen.options(data, live_only=False) == []
    assert screen.pick(data, "2", live_only=False) is None


def test_screens_of_different_kinds_do_not_mix_and_empty_screens_are_not_live() -> None:
    a, b = Screen("a"), Screen("b")
    data: dict[str, Any] = {}
    a.remember(data, OPTIONS)
    b.remember(data, [])
    assert b.resolve(data, "1").kind is Typed.OTHER
    # Only the latest screen is live: "1" after b's message is no answer to a's question...
    assert a.resolve(data, "1").kind is Typed.OTHER
    assert a.pick(data, "2", live_only=False) == "ev:o:b"  # ...its lasting labels still are
    a.remember(data, OPTIONS)
    assert a.resolve(data, "1").data == "ev:o:a"
    a.forget(data)
    assert a.resolve(None, "1").kind is Typed.OTHER and "a" not in data


def test_a_damaged_memory_is_ignored() -> None:
    screen = Screen("s")
    data: dict[str, Any] = {"s": {"live": True, "opts": ["x", {"d": "ok", "t": ["Có"]}]}}
    assert screen.resolve(data, "1") == Resolved(Typed.PICKED, "ok")
    assert screen.resolve({"s": "garbage"}, "1").kind is Typed.OTHER


@given(st.text(max_size=200))
def test_any_text_resolves_to_one_of_the_options_or_nothing(text: str) -> None:
    screen = Screen("s")
    data: dict[str, Any] = {}
    screen.remember(data, OPTIONS)
    resolved = screen.resolve(data, text)
    if resolved.kind is Typed.PICKED:
        assert resolved.data in {o.data for o in OPTIONS}
    else:
        assert resolved.data is None


def test_answers_pick_only_right_after_the_screen() -> None:
    """ "có" answers the screen's question right after it, never later (not a lasting label)."""
    screen = Screen("q", ttl=60)
    data: dict[str, Any] = {}
    screen.remember(data, [Option("my:wy:1", ("xac nhan",), 0, ("co", "dong y")), Option("x")])
    assert screen.answer(data, "Có") == "my:wy:1"
    assert screen.answer(data, "đồng ý") == "my:wy:1"
    assert screen.answer(data, "xác nhận") is None  # a label, not an answer word
    screen.end(data)
    assert screen.answer(data, "có") is None  # the next message was something else
    assert screen.pick(data, "co", live_only=False) is None  # nor a lasting label
    assert screen.pick(data, "xac nhan", live_only=False) == "my:wy:1"
    Screen("other").remember(data, [Option("y")])
    screen.remember(data, [Option("my:wy:1", (), 0, ("co",))])
    Screen("other").remember(data, [Option("y")])  # a newer screen of another kind
    assert screen.answer(data, "có") is None
