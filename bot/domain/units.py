"""The configurable list of units a person picks from during onboarding."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import overload

from bot.domain.choices import Choice, match_choice, starting_with
from bot.domain.text import fold


@dataclass(frozen=True)
class UnitMatch:
    unit: str | None  # the unit of the list the text names
    several: tuple[int, ...] = ()  # else, the indexes of the units its words start


@dataclass(frozen=True)
class Units(Sequence[str]):
    """The units' names in the order offered, and the short forms people type for some
    («VP Sở», «QLKH»): a sequence of the names."""

    names: tuple[str, ...]
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self.names[index]

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def match(self, text: str) -> UnitMatch:
        """The unit ``text`` names: its number in the list, its name or a short form (see
        :func:`match_choice`); else the units whose names start with it, to ask which."""
        folded = fold(text)
        shared = tuple(  # short forms: only as typed (folded); one of several units: which?
            i
            for i, name in enumerate(self.names)
            if folded and folded in {fold(form) for form in self.aliases.get(name, ())}
        )
        if len(shared) == 1:
            return UnitMatch(self.names[shared[0]])
        if shared:
            return UnitMatch(None, shared)
        # The names, fuzzily too; a short form only as typed: «phòng KHCN» is one letter
        # from «phòng KHTC», and a unit of its own.
        names = [Choice(str(i), (name,)) for i, name in enumerate(self.names)]
        value = match_choice(text, names)
        if value is not None:
            return UnitMatch(self.names[int(value)])
        return UnitMatch(None, tuple(int(v) for v in starting_with(text, self.choices())))

    def choices(self) -> list[Choice]:
        """One choice per unit (its value: the index), typed as its name or a short form."""
        return [
            Choice(str(i), (name,), self.aliases.get(name, ())) for i, name in enumerate(self.names)
        ]


def load_units(path: Path | None = None) -> Units:
    """Units from ``path`` (a TOML file with ``department`` and ``external`` lists, and an
    optional ``aliases`` table: a unit's name to the short forms people type) or the shipped
    ``bot/data/units.toml``."""
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
    aliases: dict[str, tuple[str, ...]] = {}
    table = data.get("aliases", {})
    if not isinstance(table, dict):
        raise ValueError("units file: 'aliases' must be a table of unit = [short forms]")
    for unit, forms in table.items():
        if unit not in units:
            raise ValueError(f"units file: aliases of {unit!r}, which is not a listed unit")
        if not isinstance(forms, list) or not all(isinstance(f, str) and f.strip() for f in forms):
            raise ValueError(f"units file: the aliases of {unit!r} must be non-empty strings")
        aliases[unit] = tuple(f.strip() for f in forms)
    return Units(tuple(units), aliases)
