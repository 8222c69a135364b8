from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.tg.stub_api import StubUser
from tests.harness import ADMIN_ID, Harness, make_settings


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
