from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain import telegram_html
from bot.tg.stub_api import BotAPIStub, StubUser
from tests.harness import ADMIN_ID, Harness, make_settings

# Markup or an entity left visible in what a person reads: HTML escaped twice.
_VISIBLE_MARKUP = re.compile(r"</?(?:b|i|u|s|a|code|pre|blockquote)>|&(?:lt|gt|amp|quot);")


@pytest.fixture(autouse=True)
def telegram_accepts_every_message(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test: each message the bot sent through a local Bot API stand-in is one Telegram
    accepts (valid HTML, within the limits, good buttons), and none shows markup or an entity
    that the bot escaped twice, unless a person typed it (or, with the marker ``shows_markup``,
    a document the test imports holds it)."""
    stubs: list[BotAPIStub] = []
    original = BotAPIStub.__init__

    def recording_init(self: BotAPIStub, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        stubs.append(self)

    monkeypatch.setattr(BotAPIStub, "__init__", recording_init)
    yield
    for stub in stubs:
        for call in stub.refused:
            raise AssertionError(
                f"Telegram would refuse {call.method}: {call.result}, {call.params}"
            )
        if request.node.get_closest_marker("shows_markup"):
            continue
        typed = _typed_by_people(stub)
        for call in list(stub.calls):
            if isinstance(call.result, dict) and call.result.get("ok") is False:
                continue
            text = call.params.get("text") or call.params.get("caption")
            if not text or str(call.params.get("parse_mode")).upper() != "HTML":
                continue
            shown = telegram_html.parse(str(text))
            for match in _VISIBLE_MARKUP.finditer(shown):
                assert match.group() in typed, (
                    f"{call.method} shows {match.group()!r} (escaped twice?): {shown[:300]!r}"
                )


def _typed_by_people(stub: BotAPIStub) -> str:
    bot_id = stub.bot["id"]
    parts = []
    for message in list(stub.messages.values()):
        if (message.get("from") or {}).get("id") == bot_id:
            continue
        parts.append(str(message.get("text") or ""))
        parts.append(str(message.get("caption") or ""))
        parts.append(str((message.get("document") or {}).get("file_name") or ""))
    return "\n".join(parts)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await Harness(make_settings(tmp_path), deliver_on_demand=True).start()
    yield harness
    await harness.stop()


@pytest.fixture
def alice() -> StubUser:
    return StubUser(
        1001, first_name="Lan", last_name="Nguyễn", username="lan_ng", language_code="vi"
    )


@pytest.fixture
def bob() -> StubUser:
    return StubUser(1002, first_name="Bob", username="bob", language_code="en")


@pytest.fixture
def admin() -> StubUser:
    return StubUser(ADMIN_ID, first_name="Quản trị", username="office_admin", language_code="vi")
