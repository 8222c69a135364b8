"""Throttling of reports to the office."""

from __future__ import annotations

import time

REPORT_INTERVAL = 60.0  # seconds between two reports to the office


class ErrorReporter:
    """At most one report per interval; the ones held back are counted in the next report."""

    def __init__(self, interval: float = REPORT_INTERVAL) -> None:
        self.interval = interval
        self._last = -interval
        self.suppressed = 0

    def allow(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if now - self._last >= self.interval:
            self._last = now
            return True
        self.suppressed += 1
        return False
