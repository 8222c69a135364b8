"""An in-process ``BaseRequest`` answered by :class:`BotAPIStub`: the bot runs its real code
path (polling, offsets, rate limiter, handlers) without any network."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from bot.tg.stub_api import BotAPIStub


class StubRequest(BaseRequest):
    def __init__(self, stub: BotAPIStub, delay: float = 0.0) -> None:
        self.stub = stub
        self.delay = delay  # simulated network latency per call (benchmarks)
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        stub.update_listeners.append(self._notify)

    def _notify(self) -> None:
        if self._loop is not None and self._wakeup is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._wakeup is None:
            await self.initialize()
        assert self._wakeup is not None
        if "/file/" in url:  # a download: the bytes of a file sent by a person
            path = url.split("/file/", 1)[1].split("/", 1)[1]
            data = self.stub.files.get(path)
            return (200, data) if data is not None else (404, b"Not Found")
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            files = request_data.multipart_data
            for _, value in files.items():
                if isinstance(value, tuple) and value:
                    params["_filename"] = value[0]
                    params["_bytes"] = value[1]
                    break
        if api_method == "getUpdates":
            timeout = float(params.get("timeout") or 0)
            deadline = asyncio.get_running_loop().time() + timeout
            while not self.stub.pending_updates(params.get("offset")):
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                self._wakeup.clear()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), remaining)
                except TimeoutError:
                    break
        elif self.delay:
            await asyncio.sleep(self.delay)
        status, body = self.stub.handle(api_method, params)
        return status, json.dumps(body).encode("utf-8")
