"""Rendering documents away from the event loop: in a helper process, or in a worker thread.

Filling the .docx of an application takes about 8-10 ms of CPU, all of it Python (python-docx,
lxml). A worker thread keeps the event loop free but not the CPU: under Python's global lock the
rendering competes with every update the bot is processing. A helper process renders on the
machine's other core instead. ``workers`` (setting ``DOCUMENT_WORKERS``) is the number of helper
processes; 0 renders in a worker thread of the bot's process (the tests do, the terminal chat
may).

The processes are started with ``spawn`` (never ``fork``: the bot's process has threads, the
database's among them) when the renderer opens, and warmed up (python-docx imported, the form
definition sent once), so the first person to submit does not wait for them. A helper process
that dies is replaced: the document being rendered is rendered again in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, date, datetime

from bot.documents.initiative_docx import render_form
from bot.domain.initiative import FormDefinition, Initiative, Status

log = logging.getLogger(__name__)

# The form definition of the helper process, sent once when it starts (see ``_start``).
_FORM: FormDefinition | None = None


def _start(form: FormDefinition) -> None:
    """Runs in each helper process as it starts: keep the form, build the template once."""
    global _FORM  # the helper process's own state
    _FORM = form
    _exit_with_parent()
    render_form(form, _sample(form))  # the first form is slower: template, models


def _exit_with_parent() -> None:
    """End this helper process as soon as the bot's process is gone, even killed with
    ``kill -9`` (the pool's own shutdown never runs then, and a helper waiting for work would
    live on, holding the bot's output streams open)."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _sample(form: FormDefinition) -> Initiative:
    """An empty application (every answer left blank)."""
    now = datetime.now(UTC)
    return Initiative(
        id=0,
        number="",
        submitter_id=None,
        status=Status.SUBMITTED,
        title="",
        form_version=form.version,
        content={},
        submitted_at=now,
        updated_at=now,
    )


def _render_in_helper(
    initiative: Initiative, include_confidential: bool, today: date | None
) -> bytes:
    assert _FORM is not None, "helper process started without its form"
    return render_form(_FORM, initiative, include_confidential=include_confidential, today=today)


def _ready() -> bool:
    return _FORM is not None


class DocumentRenderer:
    """The filled application as a .docx, rendered off the event loop's thread."""

    def __init__(self, form: FormDefinition, *, workers: int = 1) -> None:
        self.form = form
        self.workers = max(0, workers)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def processes(self) -> list[int]:
        """Process ids of the helper processes running now."""
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return [p.pid for p in processes.values() if p.pid is not None]

    async def open(self) -> None:
        """Start the helper processes and wait until they are ready (no-op with 0 workers)."""
        if not self.workers or self._pool is not None:
            return
        self._pool = self._new_pool()
        loop = asyncio.get_running_loop()
        ready = [loop.run_in_executor(self._pool, _ready) for _ in range(self.workers)]
        await asyncio.gather(*ready)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(self.form,),
        )

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def initiative_form(
        self,
        initiative: Initiative,
        *,
        include_confidential: bool = True,
        today: date | None = None,
    ) -> bytes:
        """The .docx of ``initiative`` (see :func:`render_form`)."""
        pool = self._pool
        if pool is not None:
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(
                    pool, _render_in_helper, initiative, include_confidential, today
                )
            except BrokenProcessPool:
                log.warning("a document helper process died; starting a new one")
                await self._replace(pool)
        return await self._in_thread(initiative, include_confidential, today)

    async def _replace(self, broken: Executor) -> None:
        if self._pool is broken:
            self._pool = self._new_pool()
        await asyncio.to_thread(broken.shutdown, wait=False, cancel_futures=True)

    async def _in_thread(
        self, initiative: Initiative, include_confidential: bool, today: date | None
    ) -> bytes:
        return await asyncio.to_thread(
            render_form,
            self.form,
            initiative,
            include_confidential=include_confidential,
            today=today,
        )
