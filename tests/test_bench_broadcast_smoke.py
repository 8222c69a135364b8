"""The announcement benchmark (``bench/broadcast_bench.py``) still runs: 200 recipients at
100 messages/s, undisturbed and killed halfway."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "broadcast_bench.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("broadcast_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


def test_broadcast_bench_runs_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_bench()
    began = time.monotonic()
    report = bench.main(["--recipients", "200", "--limit", "100", "--workdir", str(tmp_path)])
    assert time.monotonic() - began < 20
    text = capsys.readouterr().out

    assert [run.killed for run in report.runs] == [False, True]
    for run in report.runs:
        assert run.error is None, run.error
        assert (run.recipients, run.blocked) == (200, 2)
        assert run.lost == 0 and run.not_final == 0
        assert run.delivered_chats == run.reachable == 198
        assert run.rows.get("sent") == 198 and run.rows.get("unreachable") == 2
        assert run.wrong_message_id == 0 and run.blocked_marked == 2
        assert run.rate > 0 and run.send_period_s > 0 and run.rss_peak_mb > 0
        assert run.exit_codes[-1] == 0
    undisturbed, killed = report.runs
    assert undisturbed.duplicates == 0
    assert killed.kill_at_sent is not None and len(killed.exit_codes) == 2
    assert report.in_flight is not None and killed.duplicates <= report.in_flight
    assert not report.targets_apply  # 200 recipients: the rate target is not checked
    assert report.ok, text

    for needle in (
        "achieved rate",
        "x limit",
        "duplicates",
        "lost               0",
        "Telegram refused",
        "bot peak RSS",
        "killed halfway (kill -9) and restarted",
        "restart gap",
        "worker in-flight bound",
        "PASS  run: lost == 0",
    ):
        assert needle in text, needle
    assert "FAIL" not in text
