"""The .docx of an application rendered by a helper process (bot/documents/renderer.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.documents import render_form
from bot.documents.renderer import DocumentRenderer
from tests.test_initiative_documents import (
    FORM,
    SECRET,
    TITLE,
    all_text,
    make_initiative,
    read_docx,
)

ROOT = Path(__file__).resolve().parents[1]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # noqa: PTH123
            return stat.read().split()[2] == "Z"  # a zombie: finished, not yet reaped
    except (FileNotFoundError, ProcessLookupError):  # reaped between the two looks
        return True


def _wait_gone(pid: int, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _gone(pid)


async def test_a_helper_process_renders_the_same_document_as_the_bot_would() -> None:
    renderer = DocumentRenderer(FORM, workers=1)
    await renderer.open()
    try:
        helpers = renderer.processes
        assert len(helpers) == 1 and helpers[0] != os.getpid()
        item = make_initiative()
        data = await renderer.initiative_form(item, include_confidential=False)
        text = all_text(read_docx(data))
        assert TITLE in text and "Nguyễn Thị Lan" in text
        assert SECRET not in text  # the option reaches the helper process
        expected = all_text(read_docx(render_form(FORM, item, include_confidential=False)))
        assert text == expected
        full = all_text(read_docx(await renderer.initiative_form(item)))
        assert SECRET in full
    finally:
        await renderer.close()
    assert renderer.processes == []
    assert await asyncio.to_thread(_wait_gone, helpers[0])


async def test_a_helper_process_that_dies_is_replaced_and_no_form_is_lost() -> None:
    renderer = DocumentRenderer(FORM, workers=1)
    await renderer.open()
    try:
        first = renderer.processes[0]
        os.kill(first, signal.SIGKILL)
        assert await asyncio.to_thread(_wait_gone, first)
        item = make_initiative()
        # The pool is broken: this form is rendered in a thread, a new helper is started.
        assert TITLE in all_text(read_docx(await renderer.initiative_form(item)))
        assert TITLE in all_text(read_docx(await renderer.initiative_form(item)))
        assert renderer.processes and first not in renderer.processes
    finally:
        await renderer.close()


async def test_no_helper_process_renders_in_a_thread() -> None:
    renderer = DocumentRenderer(FORM, workers=0)
    await renderer.open()
    try:
        assert renderer.processes == []
        data = await renderer.initiative_form(make_initiative())
        assert TITLE in all_text(read_docx(data))
    finally:
        await renderer.close()


KILLED_PARENT = """
import asyncio, sys
from bot.documents.renderer import DocumentRenderer
from bot.domain.initiative import load_form

async def main() -> None:
    renderer = DocumentRenderer(load_form(), workers=1)
    await renderer.open()
    print(renderer.processes[0], flush=True)
    await asyncio.sleep(60)

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_helper_processes_end_with_a_killed_bot(tmp_path: Path) -> None:
    """``kill -9`` of the bot: its helper process does not live on (it would hold the bot's
    output open and its memory)."""
    script = tmp_path / "killed_bot.py"
    script.write_text(KILLED_PARENT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bot = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the resource tracker reports what the kill left
        text=True,
        env=env,
    )
    try:
        assert bot.stdout is not None
        helper = int(bot.stdout.readline())
        assert not _gone(helper)
        bot.kill()
        bot.wait(5)
        assert _wait_gone(helper)
    finally:
        bot.kill()
        bot.wait(5)
