"""gettext catalogs (``locales/<lang>/LC_MESSAGES/messages.po``), loaded with Babel.

Message ids are stable keys (``onboarding.ask_name``); the text people read lives only in the
catalogs. The ``.po`` files are compiled in memory when the bot starts, so a fresh checkout works
without a ``pybabel compile`` step and a stale ``.mo`` can never shadow an edited ``.po``.

Every value interpolated into a message is HTML-escaped unless wrapped in :class:`Safe`: the bot
sends HTML, and user text must never become markup.

Plural forms ("1 seat", "2 seats"; Vietnamese has one form) are ordinary gettext plural entries
whose ``msgid_plural`` names the parameter that counts::

    msgid "events.seats"
    msgid_plural "seats"
    msgstr[0] "{seats} seat"
    msgstr[1] "{seats} seats"

The code marks them with :func:`NP_` (``NP_("events.seats", "seats")``, extracted with
``-k NP_:1,2``) and renders them like any message (``t("events.seats", seats=n)``): the
translator picks the form from that parameter.
"""

from __future__ import annotations

import gettext
import html
import io
from collections.abc import Iterable
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "messages"


def N_(key: str) -> str:
    """Mark a key for extraction without translating it (e.g. in tables)."""
    return key


def NP_(key: str, count: str) -> str:
    """Mark a message with plural forms for extraction; ``count`` names its counting parameter."""
    del count  # read by the extractor (and kept in the catalog as msgid_plural), not at run time
    return key


class Safe(str):
    """A string that is already HTML (escaped user text, or markup the bot built)."""

    __slots__ = ()


def escape(value: object) -> str:
    return value if isinstance(value, Safe) else html.escape(str(value), quote=False)


class MissingMessageError(KeyError):
    pass


class Translator:
    def __init__(
        self,
        catalogs: dict[str, gettext.GNUTranslations],
        default: str,
        *,
        strict: bool = False,
        plurals: dict[str, str] | None = None,
    ) -> None:
        if default not in catalogs:
            raise ValueError(f"no catalog for the default language {default!r}")
        self.catalogs = catalogs
        self.default = default
        self.strict = strict  # tests: a missing message raises instead of showing its key
        # key -> the parameter that picks its plural form (the entry's msgid_plural)
        self.plurals = plurals or {}

    @classmethod
    def load(cls, languages: Iterable[str] = ("vi", "en"), default: str = "vi") -> Translator:
        catalogs = {}
        plurals: dict[str, str] = {}
        root = resources.files("locales")
        for lang in languages:
            po_file = root.joinpath(lang, "LC_MESSAGES", f"{DOMAIN}.po")
            with po_file.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            for message in catalog:
                if isinstance(message.id, tuple):
                    plurals[message.id[0]] = message.id[1]
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            catalogs[lang] = gettext.GNUTranslations(buffer)
        return cls(catalogs, default, plurals=plurals)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.catalogs)

    def raw(self, locale: str, key: str, count: int | None = None) -> str:
        """The catalog text for ``key`` (the key itself if it is missing: tests catch that);
        for a message with plural forms, the form for ``count``."""
        catalog = self.catalogs.get(locale) or self.catalogs[self.default]
        counted = self.plurals.get(key)
        if counted is None:
            text = catalog.gettext(key)
        else:
            text = catalog.ngettext(key, counted, 1 if count is None else count)
        if self.strict and text in (key, counted):
            raise MissingMessageError(f"{locale}: no message {key!r}")
        return text

    def __call__(self, locale: str, key: str, /, **params: object) -> str:
        counted = self.plurals.get(key)
        count = params.get(counted) if counted else None
        if counted and self.strict and not isinstance(count, int):
            raise MissingMessageError(f"{key!r} counts with {counted!r}, not given as a number")
        text = self.raw(locale, key, count if isinstance(count, int) else None)
        if not params:
            return text
        return text.format(**{name: escape(value) for name, value in params.items()})

    def all(self, key: str) -> list[str]:
        """The text of ``key`` in every language (for typed fallbacks of button labels)."""
        return [self.raw(lang, key) for lang in self.catalogs]
