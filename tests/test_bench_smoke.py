"""The flow benchmark (``bench/flow_bench.py``) still runs: 5 people, no network delay."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench" / "flow_bench.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("flow_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


async def test_flow_bench_runs_and_reports(tmp_path: Path) -> None:
    bench = load_bench()
    began = time.monotonic()
    report = await bench.run(5, 0.0, db_dir=tmp_path)
    assert time.monotonic() - began < 15

    steps = len(bench.script(0))
    assert report.updates_per_person == steps == 30
    for phase in (report.bot, report.echo):
        assert phase is not None
        assert phase.updates == 5 * steps and phase.failed == 0
        assert phase.rate > 0 and phase.wall_s > 0 and phase.cpu_s > 0
        assert phase.rss_peak_mb >= phase.rss_start_mb > 0 and phase.maxrss_mb > 0
        assert all(len(samples) == 5 for samples in phase.reply_ms.values())
    assert list(report.bot.reply_ms) == [s.name for s in bench.script(0)]
    assert report.bot.initiatives == 5  # every person submitted: one record each
    assert report.bot.documents_sent == 5
    assert report.echo is not None and report.echo.api_calls["sendMessage"] == 5 * steps
    assert report.ratio is not None and report.ratio > 0
    assert report.title_check_ms >= 0
    assert report.docx_render_ms is not None and report.docx_render_ms > 0
    assert not report.targets_apply  # 5 people: only the correctness check applies
    assert report.passed() == {"every person submitted (initiatives == people)": True}

    text = bench.format_report(report)
    for needle in (
        "updates/s",
        "p50",
        "p99",
        "ru_maxrss",
        "initiatives in DB  5 (expected 5)",
        "bot / echo rate",
        "PASS  every person submitted",
        "onboarding is not measured",
        "rate limiter off",
        "commit",
    ):
        assert needle in text, needle
    assert "FAIL" not in text
