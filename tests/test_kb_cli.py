"""``thidua-bot kb``: import, list, remove and ask (one question, ``--json``, and the batch mode
on standard input), on a fresh database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli import clean_env

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60
SHIPPED = ["ke-hoach-2023-dot-thi-dua-dac-biet", "ke-hoach-2025-hoi-nghi-tuyen-duong"]
JSON_KEYS = ["question", "answer", "document", "section", "score", "abstained", "alternatives"]

PLAN = """KẾ HOẠCH
Tổ chức Hội thi sáng kiến năm 2026
I. MỤC ĐÍCH
1. Số lượng: Khoảng 40 sáng kiến.
"""


def kb(
    cwd: Path, *args: str, stdin: str | None = None, db: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "kb", *args],
        cwd=cwd,
        env=clean_env(DATABASE_PATH=str(db or cwd / "data" / "kb.sqlite3")),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )


def document_ids(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split("\t")[0] for line in result.stdout.splitlines()]


def test_list_on_a_fresh_database_shows_the_shipped_plans(tmp_path: Path) -> None:
    db = tmp_path / "new" / "dir" / "bot.sqlite3"
    result = kb(tmp_path, "list", db=db)
    assert result.returncode == 0, result.stderr
    assert document_ids(result) == SHIPPED
    first = result.stdout.splitlines()[0].split("\t")
    assert first[1:3] == ["Kế hoạch 2023", "27 sections"]
    assert db.is_file()
    assert result.stderr == ""  # logging stays quiet, and never on stdout


def test_import_list_remove(tmp_path: Path) -> None:
    plan = tmp_path / "Hội thi 2026.txt"
    plan.write_text(PLAN, encoding="utf-8")
    result = kb(tmp_path, "import", str(plan))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "hoi-thi-2026\tKế hoạch Tổ chức Hội thi sáng kiến năm 2026\t3 sections"
    ]
    assert document_ids(kb(tmp_path, "list")) == [*SHIPPED, "hoi-thi-2026"]

    # Importing again replaces it; a bad file next to a good one: the good one is imported.
    bad = tmp_path / "notes.exe"
    bad.write_bytes(b"MZ")
    result = kb(tmp_path, "import", str(bad), str(plan))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "hoi-thi-2026\tKế hoạch Tổ chức Hội thi sáng kiến năm 2026\t3 sections"
    ]
    (error,) = result.stderr.splitlines()
    assert "notes.exe" in error and "unsupported" in error
    assert document_ids(kb(tmp_path, "list")) == [*SHIPPED, "hoi-thi-2026"]

    result = kb(tmp_path, "remove", "hoi-thi-2026")
    assert (result.returncode, result.stdout.strip()) == (0, "Removed hoi-thi-2026")
    assert document_ids(kb(tmp_path, "list")) == SHIPPED
    result = kb(tmp_path, "remove", "hoi-thi-2026")
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""


def test_removing_every_document_then_asking(tmp_path: Path) -> None:
    for document in SHIPPED:
        assert kb(tmp_path, "remove", document).returncode == 0
    # The database is empty again: the next command seeds it afresh.
    assert document_ids(kb(tmp_path, "list")) == SHIPPED


def test_import_missing_file(tmp_path: Path) -> None:
    result = kb(tmp_path, "import", str(tmp_path / "nope.docx"))
    assert result.returncode == 1
    assert "nope.docx" in result.stderr and "Traceback" not in result.stderr


# --- ask -----------------------------------------------------------------------------------------


def test_ask_json_is_one_object_with_exactly_the_keys(tmp_path: Path) -> None:
    result = kb(tmp_path, "ask", "--json", "Hội nghị tuyên dương có bao nhiêu đại biểu tham dự?")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    answer = json.loads(line)
    assert list(answer) == JSON_KEYS
    assert answer["question"] == "Hội nghị tuyên dương có bao nhiêu đại biểu tham dự?"
    assert isinstance(answer["score"], float)
    assert isinstance(answer["abstained"], bool)
    assert isinstance(answer["alternatives"], list)
    for alternative in answer["alternatives"]:
        assert list(alternative) == ["document", "section", "score"]
        assert alternative["document"] in SHIPPED
    if not answer["abstained"]:
        assert answer["document"] in SHIPPED
        assert isinstance(answer["answer"], str) and answer["answer"]
        assert isinstance(answer["section"], str) and answer["section"]


def test_ask_json_where_it_abstains(tmp_path: Path) -> None:
    result = kb(tmp_path, "ask", "--json", "giá vàng SJC hôm nay")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert list(answer) == JSON_KEYS
    assert answer["abstained"] is True
    assert answer["answer"] is None and answer["document"] is None and answer["section"] is None


def test_ask_prints_the_passage_with_its_citation(tmp_path: Path) -> None:
    result = kb(tmp_path, "ask", "so", "luong", "dai", "bieu", "du", "hoi", "nghi")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and "›" in lines[0]  # "Kế hoạch 2025 › II.2.c Số lượng (0.93)"
    assert lines[0].startswith(("Kế hoạch 2023 ›", "Kế hoạch 2025 ›"))
    no_answer = kb(tmp_path, "ask", "giá vàng SJC hôm nay")
    assert no_answer.returncode == 0
    assert len(no_answer.stdout.splitlines()) == 1
    assert "No answer" in no_answer.stdout


def test_batch_mode_answers_each_line_in_order(tmp_path: Path) -> None:
    questions = [
        "thoi gian thi dua den khi nao",
        "giá vàng SJC hôm nay",
        "",
        "Kinh phí tổ chức hội nghị lấy từ nguồn nào?",
        "How many delegates attend the conference?",
    ]
    result = kb(tmp_path, "ask", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)
    answers = [json.loads(line) for line in lines]
    assert [a["question"] for a in answers] == questions
    assert all(list(a) == JSON_KEYS for a in answers)
    assert answers[1]["abstained"] and answers[2]["abstained"]


def test_batch_mode_streams_one_line_per_question(tmp_path: Path) -> None:
    """The answer to a line is printed (and flushed) before the next line is read."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "kb", "ask"],
        cwd=tmp_path,
        env=clean_env(DATABASE_PATH=str(tmp_path / "kb.sqlite3")),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        for question in ["khau hieu thi dua la gi", "ai ky ke hoach 2023"]:
            process.stdin.write(question + "\n")
            process.stdin.flush()
            assert json.loads(process.stdout.readline())["question"] == question
    finally:
        process.stdin.close()
        assert process.wait(timeout=TIMEOUT) == 0


def test_batch_mode_is_fast(tmp_path: Path) -> None:
    assert kb(tmp_path, "list").returncode == 0  # seeded, so only the asking is timed
    questions = ["so luong bang khen", "Khẩu hiệu thi đua là gì?", "kinh fi to chuc hoi nghi"]
    stdin = "\n".join(questions * 100) + "\n"
    start = time.perf_counter()
    result = kb(tmp_path, "ask", stdin=stdin)
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 300
    assert elapsed < 15, f"300 questions took {elapsed:.1f} s"


@pytest.mark.parametrize("args", [["ask", "--json", "x"], ["list"]])
def test_a_bad_setting_is_still_one_line(tmp_path: Path, args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "kb", *args],
        cwd=tmp_path,
        env=clean_env(DATABASE_PATH=str(tmp_path / "x.sqlite3"), TIMEZONE="Mars/Olympus"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
