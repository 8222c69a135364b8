"""Accuracy and speed of the knowledge-base search on a question set.

    .venv/bin/python bench/kb_bench.py [QUESTIONS.jsonl] [--repeat N] [--scales 100,1000]

Each line of the question set: ``q``, ``expect_all``, ``expect_any``, ``out_of_scope`` (and
``prev``: a follow-up, asked after that question, as in the chat). A passage
answers a question when it holds every ``expect_all`` fact and at least one ``expect_any`` fact
(when that list is not empty), compared without accents (đ→d), case, punctuation or extra
whitespace (``bot.domain.text.fold`` on both sides). An out-of-scope question must be abstained
on.

The questions go through ``KnowledgeService.ask`` in-process, on a fresh temporary database
seeded with the shipped documents (exactly what ``thidua-bot kb ask`` does). The latency figures
are then measured again on the knowledge base replicated 100x and 1000x (copies of every section
under suffixed document ids, indexed directly with ``SearchIndex``, not through the database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.text import fold  # noqa: E402
from bot.kb.models import Answer, DocumentMeta, Hit, SectionRecord  # noqa: E402
from bot.services.knowledge import KnowledgeService  # noqa: E402
from storage import Database  # noqa: E402

DEFAULT_QUESTIONS = ROOT.parent / "shared" / "qa" / "dev.jsonl"


@dataclass(frozen=True)
class Case:
    id: str
    q: str
    expect_all: tuple[str, ...]
    expect_any: tuple[str, ...]
    out_of_scope: bool
    note: str
    prev: str | None = None  # a follow-up: the question asked just before it

    @property
    def has_diacritics(self) -> bool:
        return any(ch.isalpha() and not ch.isascii() for ch in self.q)

    def answered_by(self, passage: str) -> bool:
        text = fold(passage)
        if not all(fold(fact) in text for fact in self.expect_all):
            return False
        return not self.expect_any or any(fold(fact) in text for fact in self.expect_any)


def load_cases(path: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        data = json.loads(line)
        cases.append(
            Case(
                id=str(data.get("id", f"line-{number}")),
                q=data["q"],
                expect_all=tuple(data.get("expect_all") or ()),
                expect_any=tuple(data.get("expect_any") or ()),
                out_of_scope=bool(data.get("out_of_scope")),
                note=str(data.get("note", "")),
                prev=data.get("prev") or None,
            )
        )
    return cases


async def ask_case(service: KnowledgeService, case: Case) -> Answer:
    """The question as the chat asks it: a follow-up (``prev``) after the question before it."""
    if case.prev is None:
        return await service.ask(case.q)
    before = await service.ask(case.prev)
    shown = before.best.section.id if before.best is not None else None
    return await service.ask(case.q, previous=case.prev, previous_section=shown)


# --- scoring -----------------------------------------------------------------------------------


def shown_hits(answer: Answer) -> list[Hit]:
    best = [answer.best] if answer.best is not None and not answer.abstained else []
    return [*best, *answer.also, *answer.alternatives]


def top1(case: Case, answer: Answer) -> bool:
    if answer.abstained:
        return False
    if answer.faq is not None:
        return case.answered_by(answer.faq.answer)
    return answer.best is not None and case.answered_by(answer.best.section.text)


def top3(case: Case, answer: Answer) -> bool:
    return top1(case, answer) or any(case.answered_by(h.section.text) for h in shown_hits(answer))


def describe(answer: Answer) -> str:
    if answer.faq is not None:
        return f"FAQ #{answer.faq.id}: {answer.faq.answer[:100]}"
    if answer.abstained or answer.best is None:
        nearest = f"; nearest: {answer.alternatives[0].citation}" if answer.alternatives else ""
        return f"abstained ({answer.reason or 'no reason'}){nearest}"
    text = " ".join(answer.best.section.text.split())
    also = f" [+ {answer.also[0].citation}]" if answer.also else ""
    return f"{answer.best.citation} ({answer.best.score:.2f}){also}: {text[:110]}"


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}% ({part}/{whole})" if whole else "  n/a"


def percentiles(samples_ms: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    if not ordered:
        return 0.0, 0.0
    p99_index = min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))
    return statistics.median(ordered), ordered[p99_index]


def peak_memory_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def time_queries(
    search: Callable[[str], Any], questions: Sequence[str], repeat: int
) -> list[float]:
    samples = []
    for _ in range(repeat):
        for question in questions:
            start = time.perf_counter_ns()
            search(question)
            samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


# --- replicated knowledge base -----------------------------------------------------------------


def replicate(
    documents: Sequence[DocumentMeta], sections: Sequence[SectionRecord], times: int
) -> tuple[list[DocumentMeta], list[SectionRecord]]:
    """``times`` copies of every document and section (copy 0 keeps the original ids)."""
    docs: list[DocumentMeta] = []
    secs: list[SectionRecord] = []
    next_id = 1
    for copy in range(times):
        suffix = "" if copy == 0 else f"~{copy}"
        for document in documents:
            docs.append(document.model_copy(update={"id": document.id + suffix}))
        for section in sections:
            secs.append(
                section.model_copy(
                    update={"id": next_id, "document_id": section.document_id + suffix}
                )
            )
            next_id += 1
    return docs, secs


# --- the run -----------------------------------------------------------------------------------


async def run(path: Path, repeat: int, scales: Sequence[int]) -> int:
    from bot.kb.search import SearchIndex

    cases = load_cases(path)
    questions = [c.q for c in cases]
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.sqlite3", readers=1)
        await db.open()
        try:
            service = KnowledgeService(db)
            start = time.perf_counter()
            await service.seed_if_empty()
            seed_s = time.perf_counter() - start
            start = time.perf_counter()
            lexicon = service.lexicon()
            lexicon_s = time.perf_counter() - start
            documents, sections = await service.documents(), await service.sections()
            start = time.perf_counter()
            SearchIndex(documents, sections, lexicon)
            build_s = time.perf_counter() - start
            await service.ensure_seeded()

            answers = [await ask_case(service, case) for case in cases]
            samples: list[float] = []
            for _ in range(repeat):
                for q in questions:
                    begin = time.perf_counter_ns()
                    await service.ask(q)
                    samples.append((time.perf_counter_ns() - begin) / 1e6)
        finally:
            await db.close()

    in_scope = [(c, a) for c, a in zip(cases, answers, strict=True) if not c.out_of_scope]
    out_scope = [(c, a) for c, a in zip(cases, answers, strict=True) if c.out_of_scope]
    ok1 = [c.id for c, a in in_scope if top1(c, a)]
    ok3 = [c.id for c, a in in_scope if top3(c, a)]
    abstained_oos = [c.id for c, a in out_scope if a.abstained]
    wrong_abstentions = [c.id for c, a in in_scope if a.abstained]
    diac = [(c, a) for c, a in in_scope if c.has_diacritics]
    plain = [(c, a) for c, a in in_scope if not c.has_diacritics]

    print(f"Questions: {path} ({len(cases)}: {len(in_scope)} in scope, {len(out_scope)} out)")
    print(f"Documents: {len(documents)}, sections: {len(sections)}")
    print()
    print(f"top-1 accuracy            {pct(len(ok1), len(in_scope))}")
    print(f"top-3 accuracy            {pct(len(ok3), len(in_scope))}")
    print(f"out-of-scope abstention   {pct(len(abstained_oos), len(out_scope))}")
    print(f"wrong abstentions         {pct(len(wrong_abstentions), len(in_scope))}")
    print(f"top-1 with diacritics     {pct(sum(top1(c, a) for c, a in diac), len(diac))}")
    print(f"top-1 without diacritics  {pct(sum(top1(c, a) for c, a in plain), len(plain))}")
    p50, p99 = percentiles(samples)
    print()
    print(f"latency per query         p50 {p50:.3f} ms, p99 {p99:.3f} ms ({len(samples)} queries)")
    print(
        f"index build               {build_s * 1000:.1f} ms "
        f"(lexicon load {lexicon_s * 1000:.1f} ms, seeding the database {seed_s * 1000:.1f} ms)"
    )
    print(f"peak memory (process)     {peak_memory_mb():.1f} MB")

    for times in scales:
        docs, secs = replicate(documents, sections, times)
        start = time.perf_counter()
        index = SearchIndex(docs, secs, lexicon)
        built = time.perf_counter() - start
        scaled = [index.search(q) for q in questions]
        scaled_ok = sum(
            top1(c, a) for c, a in zip(cases, scaled, strict=True) if not c.out_of_scope
        )
        scaled_oos = sum(a.abstained for c, a in zip(cases, scaled, strict=True) if c.out_of_scope)
        p50, p99 = percentiles(time_queries(index.search, questions, max(1, repeat // 4)))
        print(
            f"replicated {times:>5}x        p50 {p50:.3f} ms, p99 {p99:.3f} ms; "
            f"{len(secs)} sections, build {built:.2f} s, peak memory {peak_memory_mb():.1f} MB; "
            f"top-1 {pct(scaled_ok, len(in_scope))} (indicative: identical copies crowd the "
            f"candidates), out-of-scope abstention "
            f"{pct(scaled_oos, len(out_scope))}"
        )

    failed = [
        (c, a)
        for c, a in zip(cases, answers, strict=True)
        if (c.out_of_scope and not a.abstained) or (not c.out_of_scope and not top1(c, a))
    ]
    print()
    print(f"Failed questions: {len(failed)}")
    for case, answer in failed:
        if case.out_of_scope:
            expected = "abstain"
        else:
            expected = "; ".join(case.expect_all)
            if case.expect_any:
                expected += f"{'; ' if expected else ''}any of {list(case.expect_any)}"
        print(f"- {case.id} {case.q!r}  [{case.note}]")
        print(f"    expected: {expected}")
        print(f"    answered: {describe(answer)}")
        if not case.out_of_scope and top3(case, answer):
            print("    (right passage among the others shown)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "questions",
        nargs="?",
        type=Path,
        default=DEFAULT_QUESTIONS,
        help=f"JSON lines (default: {DEFAULT_QUESTIONS})",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=20,
        help="times each question is timed on the shipped documents (default 20)",
    )
    parser.add_argument(
        "--scales",
        default="100,1000",
        help="replication factors for the latency at scale (default 100,1000)",
    )
    args = parser.parse_args(argv)
    if not args.questions.is_file():
        print(f"No question set at {args.questions}", file=sys.stderr)
        return 1
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    return asyncio.run(run(args.questions, max(1, args.repeat), scales))


if __name__ == "__main__":
    sys.exit(main())
