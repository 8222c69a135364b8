"""The configurable list of units a person picks from during onboarding."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path


def load_units(path: Path | None = None) -> tuple[str, ...]:
    """Units from ``path`` (a TOML file with ``department`` and ``external`` lists) or the
    shipped ``bot/data/units.toml``."""
    if path is None:
        text = resources.files("bot.data").joinpath("units.toml").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    units: list[str] = []
    for group in ("department", "external"):
        for unit in data.get(group, []):
            if not isinstance(unit, str) or not unit.strip():
                raise ValueError(f"units file: every entry of {group!r} must be a non-empty string")
            if unit.strip() not in units:
                units.append(unit.strip())
    if not units:
        raise ValueError("units file: no units")
    return tuple(units)
