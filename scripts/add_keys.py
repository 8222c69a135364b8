"""Add or update catalog entries in vi, en and the template, safely from several processes.

    .venv/bin/python scripts/add_keys.py keys.json

``keys.json``: ``{"key": {"vi": "...", "en": "..."}, ...}``. The files are rewritten sorted
(width 100) under an exclusive lock, so concurrent edits never clobber each other. (The
ordinary workflow, extraction with pybabel, is in the README; this is for adding new messages.)
"""

from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"


def _rewrite(path: Path, entries: dict[str, str | None], locale: str | None) -> None:
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    for key, text in entries.items():
        if key in catalog:
            if text is not None:
                catalog[key].string = text
        else:
            catalog.add(key, text or "")
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True)


def main(argv: list[str]) -> int:
    data: dict[str, dict[str, str]] = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    with (LOCALES / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _rewrite(LOCALES / "messages.pot", {k: None for k in data}, None)
        for locale in ("vi", "en"):
            _rewrite(
                LOCALES / locale / "LC_MESSAGES" / "messages.po",
                {k: v[locale] for k, v in data.items()},
                locale,
            )
    print(f"{len(data)} keys written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
