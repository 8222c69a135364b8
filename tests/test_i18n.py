"""Every message the code uses exists, non-empty, in every catalog, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from telegram.ext import CommandHandler, ConversationHandler

from bot.domain.initiative import load_form, message_keys
from bot.i18n import MissingMessageError, Translator
from bot.tg.commands import command_list
from tests.harness import Harness

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("vi", "en")
KEYWORDS = {"t": None, "N_": None, "NP_": (1, 2), "_": None, "translator": (2,)}
KEY = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def _extracted() -> list[str | tuple[str, ...]]:
    found = []
    for folder in ("bot", "handlers"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.append(message)
    return found


def code_plurals() -> dict[str, str]:
    """Messages with plural forms (``NP_(key, count)``): key -> the counting parameter."""
    return {m[0]: m[1] for m in _extracted() if isinstance(m, tuple) and m[0] and KEY.match(m[0])}


def code_keys() -> set[str]:
    keys: set[str] = set(code_plurals())
    for message in _extracted():
        if isinstance(message, str) and KEY.match(message):
            keys.add(message)
    # Keys built at run time: error.<code> for every InvalidInput code of the domain and the
    # services, the codes of InitiativeError (full keys), and what the initiative form needs.
    for path in [
        *(ROOT / "bot" / "domain").glob("*.py"),
        *(ROOT / "bot" / "services").glob("*.py"),
    ]:
        source = path.read_text(encoding="utf-8")
        keys |= {f"error.{code}" for code in re.findall(r'InvalidInput\(\s*"([a-z_]+)"', source)}
        keys |= set(re.findall(r'(?:InitiativeError|EventError)\(\s*"([a-z_.]+)"', source))
    keys |= message_keys(load_form())
    return keys


def _read(path: Path, lang: str | None) -> Catalog:
    with path.open("rb") as fh:
        cat = read_po(fh, locale=lang)
    for message in cat:
        assert not (message.id and message.fuzzy), f"{lang}: fuzzy entry {message.id!r}"
    return cat


def forms(lang: str) -> dict[str, tuple[str, ...]]:
    """Every message's text; a message with plural forms has one per form."""
    cat = _read(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", lang)
    return {
        (m.id[0] if isinstance(m.id, tuple) else m.id): (
            tuple(m.string) if isinstance(m.string, tuple) else (m.string,)
        )
        for m in cat
        if m.id
    }


def catalog(lang: str) -> dict[str, str]:
    """Every message's text (for plural forms, the last: the general one)."""
    return {key: texts[-1] for key, texts in forms(lang).items()}


def plural_ids(path: Path, lang: str | None) -> dict[str, str]:
    return {m.id[0]: m.id[1] for m in _read(path, lang) if isinstance(m.id, tuple)}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_extraction_finds_the_code_keys() -> None:
    keys = code_keys()
    assert len(keys) > 50
    assert "onboarding.ask_full_name" in keys and "cmd.grant" in keys


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(lang: str) -> None:
    messages = forms(lang)
    missing = sorted(
        k for k in code_keys() if not all(text.strip() for text in messages.get(k, ("",)))
    )
    assert not missing, f"{lang}: untranslated messages {missing}"


def test_plural_forms_are_complete_and_count_what_the_code_counts() -> None:
    """Each ``NP_(key, count)`` of the code is a plural entry counting with ``count`` in the
    template and both catalogs (one form in Vietnamese, two in English), the general form names
    the count, and a special form (English "1 seat") uses no parameter the general one lacks."""
    code = code_plurals()
    assert {"events.seats", "rsvp.unit.days", "initiative.kept_old"} <= set(code)
    assert plural_ids(ROOT / "locales" / "messages.pot", None) == code
    for lang, count in (("vi", 1), ("en", 2)):
        assert plural_ids(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", lang) == code
        texts = forms(lang)
        for key, counted in code.items():
            assert len(texts[key]) == count, (lang, key)
            general = placeholders(texts[key][-1])
            assert counted in general, (lang, key)
            assert all(placeholders(text) <= general for text in texts[key]), (lang, key)


def test_the_translator_picks_the_plural_form() -> None:
    translator = Translator.load()
    assert translator("en", "events.seats", seats=1) == "1 seat"
    assert translator("en", "events.seats", seats=2) == "2 seats"
    assert translator("en", "events.seats", seats=0) == "0 seats"
    assert translator("vi", "events.seats", seats=1) == "1 chỗ"
    assert translator("en", "initiative.kept_old", count=1).endswith(
        "new part you typed was not saved."
    )
    assert translator("en", "rsvp.unit.hours", n=1) == "1 hour"
    translator.strict = True
    with pytest.raises(MissingMessageError):
        translator("en", "events.seats", seats="2")  # the count must be a number


def test_catalogs_agree_on_keys_and_placeholders() -> None:
    vi, en = catalog("vi"), catalog("en")
    assert set(vi) == set(en)
    for key in vi:
        assert placeholders(vi[key]) == placeholders(en[key]), key


def test_no_unused_messages() -> None:
    unused = sorted(set(catalog("vi")) - code_keys())
    assert not unused, f"messages no code uses: {unused}"


def test_catalogs_load_without_a_compile_step() -> None:
    translator = Translator.load()
    assert translator("vi", "profile.done") == "Xong"
    assert translator("en", "profile.done") == "Done"
    assert (
        translator("vi", "start.welcome_back", name="<b>x</b>")
        == "Chào mừng anh/chị &lt;b&gt;x&lt;/b&gt; quay lại!"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_messages_are_valid_telegram_html(lang: str) -> None:
    """Only tags Telegram accepts, balanced; literal < > escaped."""
    allowed = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}
    for key, text in ((k, t) for k, texts in forms(lang).items() for t in texts):
        stack: list[str] = []
        for closing, tag in re.findall(r"<(/?)([a-zA-Z-]+)[^>]*>", text):
            assert tag in allowed, (key, tag)
            if closing:
                assert stack and stack.pop() == tag, key
            else:
                stack.append(tag)
        assert not stack, key
        assert len(text) <= 4096, key


async def test_every_command_a_message_or_menu_names_is_registered(bot: Harness) -> None:
    """ "/sangkien" in Vietnamese, "/initiative" in English: whatever a message or a command
    menu tells people to type is a command the bot answers."""
    assert bot.app is not None
    registered = {
        command
        for group in bot.app.handlers.values()
        for handler in group
        for command in _commands_of(handler)
    }
    named: set[str] = set()
    for lang in LANGUAGES:
        for text in (t for texts in forms(lang).values() for t in texts):
            # "/b" of "</b>", "/year" of "dd/mm/year", "/plain" of "text/plain": not commands
            named |= set(re.findall(r"(?<![<\w/])/([a-z][a-z_]{2,31})\b", text))
        named |= {c.command for c in command_list(bot.services.translator, lang, admin=True)}
    assert {"sangkien", "initiative", "hoi", "ask", "discard", "cancel"} <= named
    unknown = named - registered - {"newbot"}  # BotFather's, in the setup help
    assert not unknown, sorted(unknown)
    english = {c.command for c in command_list(bot.services.translator, "en", admin=True)}
    assert {"initiative", "ask"} <= english and not {"sangkien", "hoi"} & english


def _commands_of(handler: object) -> set[str]:
    if isinstance(handler, CommandHandler):
        return set(handler.commands)
    if isinstance(handler, ConversationHandler):
        inner = [*handler.entry_points, *handler.fallbacks]
        inner += [h for hs in handler.states.values() for h in hs]
        return {c for h in inner for c in _commands_of(h)}
    nested = getattr(handler, "handler", None) or getattr(handler, "conversation", None)
    return _commands_of(nested) if nested is not None else set()
