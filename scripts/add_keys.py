"""Add or update catalog entries in vi, en and the template, safely from several processes.

    .venv/bin/python scripts/add_keys.py keys.json

``keys.json``: ``{"key": {"vi": "...", "en": "..."}, ...}``; a message with plural forms gives
the parameter that counts and a list of forms per language (Vietnamese has one, English two):
``{"key": {"count": "seats", "vi": ["{seats} chỗ"], "en": ["{seats} seat", "{seats} seats"]}}``;
``{"key": null}`` removes a message no code uses any more.
The files are rewritten sorted (width 100) under an exclusive lock, so concurrent edits never
clobber each other. (The ordinary workflow, extraction with pybabel, is in the README; this is
for adding new messages.)
"""

from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"


Text = str | list[str] | None


def _rewrite(
    path: Path,
    entries: dict[str, Text],
    counts: dict[str, str],
    locale: str | None,
    removed: frozenset[str] = frozenset(),
) -> None:
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    for key, text in entries.items():
        if key in removed:
            if catalog.get(key) is not None:
                catalog.delete(key)
            continue
        count = counts.get(key)
        old = catalog.get(key)
        if old is not None and isinstance(old.id, tuple) != bool(count):
            catalog.delete(key)  # becomes (or stops being) a message with plural forms
            old = None
        if old is not None:
            if text is not None:
                old.string = tuple(text) if isinstance(text, list) else text
        elif count:
            forms = catalog.num_plurals if locale else 2
            catalog.add((key, count), tuple(text) if text is not None else ("",) * forms)
        else:
            catalog.add(key, text or "")
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True)


def main(argv: list[str]) -> int:
    given: dict[str, dict[str, Any] | None] = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    removed = frozenset(key for key, value in given.items() if value is None)
    data = {key: value or {} for key, value in given.items()}
    counts = {key: value["count"] for key, value in data.items() if value.get("count")}
    with (LOCALES / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _rewrite(LOCALES / "messages.pot", {k: None for k in data}, counts, None, removed)
        for locale in ("vi", "en"):
            _rewrite(
                LOCALES / locale / "LC_MESSAGES" / "messages.po",
                {k: v.get(locale) for k, v in data.items()},  # absent: unchanged
                counts,
                locale,
                removed,
            )
    print(f"{len(data)} keys written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
