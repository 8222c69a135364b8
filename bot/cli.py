"""The ``thidua-bot`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.tg.logs import setup_logging

if TYPE_CHECKING:
    from bot.domain.events import Event
    from bot.kb.models import Answer, Hit
    from bot.services.broadcasts import Notify
    from bot.services.events import EventService
    from bot.services.flows import FlowService
    from bot.services.knowledge import KnowledgeService

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thidua-bot",
        description="Chatbot for the emulation campaigns of the Department of Science and "
        "Technology. Without TELEGRAM_BOT_TOKEN it opens a local chat in the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"thidua-bot {__version__}")
    parser.add_argument("--env-file", default=".env", help="optional .env file (default: .env)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (Telegram with a token, else the terminal chat)")
    sub.add_parser("chat", help="open the local terminal chat even if a token is configured")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="apply pending migrations")
    backup = db_sub.add_parser("backup", help="online backup of the database (safe while running)")
    backup.add_argument("path", type=Path)
    kb = sub.add_parser("kb", help="the knowledge base of official documents")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_import = kb_sub.add_parser(
        "import", help="import .txt, .md, .docx or .pdf files (a .toml next to one is its metadata)"
    )
    kb_import.add_argument("files", nargs="+", type=Path, metavar="FILE")
    kb_sub.add_parser("list", help="list the documents")
    kb_remove = kb_sub.add_parser("remove", help="remove a document")
    kb_remove.add_argument("document_id", metavar="ID")
    kb_ask = kb_sub.add_parser(
        "ask",
        help="answer a question; without one, answer each line of standard input as JSON",
    )
    kb_ask.add_argument("question", nargs="*", help="the question (several words are joined)")
    kb_ask.add_argument("--json", action="store_true", help="print one JSON object")
    export = sub.add_parser("export", help="export data for the office")
    export_sub = export.add_subparsers(dest="export_command", required=True)
    export_initiatives = export_sub.add_parser(
        "initiatives", help="the initiatives, their authors and status history as an .xlsx file"
    )
    export_initiatives.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE.xlsx", help="the file to write"
    )
    export_initiatives.add_argument(
        "--full",
        action="store_true",
        help="include the information the form marks confidential (keep such a file private)",
    )
    export_rsvp = export_sub.add_parser(
        "rsvp", help="the answers to an event (seats, waitlist, check-in) as an .xlsx file"
    )
    export_rsvp.add_argument("event_id", metavar="EVENT_ID")
    export_rsvp.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE.xlsx", help="the file to write"
    )
    event = sub.add_parser("event", help="conference events (created and replaced from YAML)")
    event_sub = event.add_subparsers(dest="event_command", required=True)
    event_import = event_sub.add_parser(
        "import", help="create or replace the events of a YAML file (see bot/data/events)"
    )
    event_import.add_argument("file", type=Path, metavar="FILE.yaml")
    event_export = event_sub.add_parser("export", help="the events as YAML (all by default)")
    event_export.add_argument("event_id", nargs="?", metavar="EVENT_ID")
    event_export.add_argument(
        "-o", "--output", type=Path, metavar="FILE.yaml", help="write to a file (default: stdout)"
    )
    event_sub.add_parser("list", help="list the events")
    invite = sub.add_parser("invite", help="invitations to an event")
    invite_sub = invite.add_subparsers(dest="invite_command", required=True)
    invite_import = invite_sub.add_parser(
        "import", help="add the invitees of an .xlsx or .csv list (each gets a personal code)"
    )
    invite_import.add_argument("event_id", metavar="EVENT_ID")
    invite_import.add_argument("file", type=Path, metavar="FILE")
    invite_sheet = invite_sub.add_parser(
        "sheet", help="the printable invitation sheet: .xlsx with links and QR codes, in a .zip"
    )
    invite_sheet.add_argument("event_id", metavar="EVENT_ID")
    invite_sheet.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE.zip", help="the file to write"
    )
    invite_sheet.add_argument(
        "--bot",
        metavar="USERNAME",
        help="the bot's @username for the links (default: asked from Telegram with the token)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.env_file if Path(args.env_file).exists() else None)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    command = args.command or "run"
    if command == "db":
        setup_logging(settings.log_level, [settings.token or ""])
        return _db(settings, args)
    if command == "kb":
        setup_logging(settings.log_level, [settings.token or ""], quiet_console=True)
        return _kb(settings, args)
    if command == "export":
        setup_logging(settings.log_level, [settings.token or ""], quiet_console=True)
        return _export(settings, args)
    if command in ("event", "invite"):
        setup_logging(settings.log_level, [settings.token or ""], quiet_console=True)
        return _events(settings, args)
    if command == "chat" or settings.token is None:
        return _terminal(settings)
    setup_logging(settings.log_level, [settings.token or ""])
    return _telegram(settings)


def _db(settings: Settings, args: argparse.Namespace) -> int:
    """``db migrate`` / ``db backup``: one line of outcome; errors as one line, status 1."""
    import sqlite3

    try:
        return _db_command(settings, args)
    except (sqlite3.Error, OSError) as exc:
        print(f"Database error ({settings.database_path}): {exc}", file=sys.stderr)
        return 1


def _db_command(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import Database, backup

    if args.db_command == "migrate":

        async def migrate() -> int:
            db = Database(settings.database_path)
            await db.open()
            version = await db.user_version()
            await db.close()
            return version

        version = asyncio.run(migrate())
        print(f"{settings.database_path}: schema version {version}")
        return 0
    if not settings.database_path.is_file():
        print(f"No database at {settings.database_path}", file=sys.stderr)
        return 1
    target = Path(args.path)
    if target.exists() and target.resolve() == settings.database_path.resolve():
        print("The backup must go to another file than the database itself", file=sys.stderr)
        return 1
    pages = backup(settings.database_path, target)
    print(f"Backed up {settings.database_path} to {args.path} ({pages} pages)")
    return 0


def _kb(settings: Settings, args: argparse.Namespace) -> int:
    """``kb import | list | remove | ask``; on a fresh database the shipped documents are
    imported first. Errors are one line on stderr, status 1."""
    import sqlite3

    try:
        return asyncio.run(_kb_command(settings, args))
    except (sqlite3.Error, OSError) as exc:
        print(f"Database error ({settings.database_path}): {exc}", file=sys.stderr)
        return 1


async def _kb_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.knowledge import KnowledgeService
    from storage.db import Database

    db = Database(settings.database_path, readers=1)
    await db.open()
    try:
        knowledge = KnowledgeService(db, tz=settings.tz)
        await knowledge.seed_if_empty()
        if args.kb_command == "import":
            return await _kb_import(knowledge, args.files)
        if args.kb_command == "list":
            counts = await knowledge.section_counts()
            for meta in await knowledge.documents():
                count = counts.get(meta.id, 0)
                print(f"{meta.id}\t{meta.short_title}\t{count} sections\t{meta.title}")
            return 0
        if args.kb_command == "remove":
            if await knowledge.remove(args.document_id):
                print(f"Removed {args.document_id}")
                return 0
            print(f"No document {args.document_id!r} (see: thidua-bot kb list)", file=sys.stderr)
            return 1
        await knowledge.ensure_seeded()  # ask: load the index once
        question = " ".join(args.question).strip()
        if not question:
            for line in sys.stdin:
                answer = await knowledge.ask(line.strip())
                print(json.dumps(_answer_json(answer), ensure_ascii=False), flush=True)
            return 0
        answer = await knowledge.ask(question)
        if args.json:
            print(json.dumps(_answer_json(answer), ensure_ascii=False))
        else:
            print(_answer_text(answer))
        return 0
    finally:
        await db.close()


async def _kb_import(knowledge: KnowledgeService, files: list[Path]) -> int:
    from bot.services.knowledge import KnowledgeError

    status = 0
    for path in files:
        try:
            meta = await knowledge.import_file(path)
        except KnowledgeError as exc:
            print(f"{path}: not imported ({exc})", file=sys.stderr)
            status = 1
            continue
        count = (await knowledge.section_counts()).get(meta.id, 0)
        print(f"{meta.id}\t{meta.title}\t{count} sections")
    return status


def _export(settings: Settings, args: argparse.Namespace) -> int:
    """``export initiatives -o FILE.xlsx [--full]``: one line of outcome; errors as one line,
    status 1."""
    import sqlite3

    if not settings.database_path.is_file():
        print(f"No database at {settings.database_path}", file=sys.stderr)
        return 1
    if args.export_command == "rsvp":
        return _export_rsvp(settings, args)
    try:
        count, data = asyncio.run(_export_initiatives(settings, full=args.full))
    except sqlite3.Error as exc:
        print(f"Database error ({settings.database_path}): {exc}", file=sys.stderr)
        return 1
    target = Path(args.output)
    try:
        target.write_bytes(data)
    except OSError as exc:
        print(f"Cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    scope = "with" if args.full else "without"
    print(f"Exported {count} initiatives to {target} ({scope} confidential information)")
    return 0


async def _export_initiatives(settings: Settings, *, full: bool) -> tuple[int, bytes]:
    """The workbook of every initiative; headers in the default language."""
    from bot.documents import export_initiatives
    from bot.domain.initiative import load_form
    from bot.i18n import Translator
    from bot.services.flows import FlowService, FlowStates
    from bot.services.initiatives import InitiativeService
    from storage.db import Database

    translator = Translator.load(default=settings.default_language)
    form = load_form(settings.initiative_form_file)
    db = Database(settings.database_path, readers=1)
    await db.open()  # migrates, as the other commands do
    try:
        service = InitiativeService(db, FlowService(db, FlowStates()), form, tz=settings.tz)
        exported = await service.export_data()
    finally:
        await db.close()

    def t(key: str) -> str:
        return translator(settings.default_language, key)

    data = export_initiatives(
        form,
        exported.initiatives,
        exported.history,
        include_confidential=full,
        t=t,
        tz=settings.tz,
        submitters=exported.submitters,
    )
    return len(exported.initiatives), data


def _export_rsvp(settings: Settings, args: argparse.Namespace) -> int:
    """``export rsvp EVENT_ID -o FILE.xlsx`` (the database exists): one line of outcome;
    errors as one line, status 1."""
    import sqlite3

    try:
        exported = asyncio.run(_export_rsvp_data(settings, args.event_id))
    except sqlite3.Error as exc:
        print(f"Database error ({settings.database_path}): {exc}", file=sys.stderr)
        return 1
    if exported is None:
        print(f"No event {args.event_id!r} (see: thidua-bot event list)", file=sys.stderr)
        return 1
    count, data = exported
    target = Path(args.output)
    try:
        target.write_bytes(data)
    except OSError as exc:
        print(f"Cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Exported {count} answers of {args.event_id} to {target}")
    return 0


async def _export_rsvp_data(settings: Settings, event_id: str) -> tuple[int, bytes] | None:
    """The workbook of an event's answers (``None``: no such event); headers in the default
    language, times in the configured time zone."""
    from bot.documents.rsvp_xlsx import export_rsvp
    from bot.i18n import Translator
    from bot.services.events import EventService
    from bot.services.flows import FlowService, FlowStates
    from storage.db import Database

    translator = Translator.load(default=settings.default_language)
    db = Database(settings.database_path, readers=1)
    await db.open()  # migrates, as the other commands do
    try:
        service = EventService(db, FlowService(db, FlowStates()), tz=settings.tz)
        event = await service.get(event_id)
        if event is None:
            return None
        rsvps = await service.people(event_id)
        invitees = await service.invitees(event_id)
        phones = await service.phones(event_id)
    finally:
        await db.close()

    def t(key: str) -> str:
        return translator(settings.default_language, key)

    return len(rsvps), export_rsvp(event, rsvps, t, settings.tz, invitees, phones)


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


class _Refused(Exception):
    """A command that cannot be done: its one line for stderr."""


def _events(settings: Settings, args: argparse.Namespace) -> int:
    """``event import | export | list`` and ``invite import | sheet``; the shipped events are
    seeded first on a fresh database (as the bot does). Errors are one line, status 1."""
    import sqlite3

    try:
        return asyncio.run(_events_command(settings, args))
    except _Refused as exc:
        print(exc, file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"Database error ({settings.database_path}): {exc}", file=sys.stderr)
        return 1


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _Refused(f"Cannot read {path}: {exc.strerror or exc}") from exc


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise _Refused(f"Cannot write {path}: {exc.strerror or exc}") from exc


async def _events_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.events import EventService
    from bot.services.flows import FlowService, FlowStates
    from storage.db import Database

    # Read the input before opening (and creating) the database.
    data = _read(args.file) if getattr(args, "file", None) is not None else b""
    db = Database(settings.database_path, readers=1)
    await db.open()  # migrates, as the other commands do
    try:
        flows = FlowService(db, FlowStates())
        service = EventService(db, flows, tz=settings.tz)
        await service.ensure_seeded()
        if args.command == "event":
            return await _event_command(service, settings, args, data, flows)
        return await _invite_command(service, settings, args, data)
    finally:
        await db.close()


async def _event_command(
    service: EventService,
    settings: Settings,
    args: argparse.Namespace,
    data: bytes,
    flows: FlowService,
) -> int:
    from bot.i18n import Translator
    from bot.services.broadcasts import BroadcastService
    from bot.services.event_notices import EventNotices
    from bot.services.events import Saved, dump_events, load_event_file
    from bot.services.users import UserService

    if args.event_command == "list":
        for event in await service.events():
            invited = len(await service.invitees(event.id))
            starts = event.starts_at.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
            print(f"{event.id}\t{starts}\t{event.capacity} seats\t{invited} invited\t{event.title}")
        return 0
    if args.event_command == "export":
        if args.event_id:
            found = await service.get(args.event_id)
            if found is None:
                raise _Refused(f"No event {args.event_id!r} (see: thidua-bot event list)")
            events = [found]
        else:
            events = await service.events()
        text = dump_events(events)
        if args.output is None:
            sys.stdout.write(text)
        else:
            _write(Path(args.output), text.encode("utf-8"))
            print(f"Exported {_count(len(events), 'event')} to {args.output}")
        return 0
    try:
        events = load_event_file(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _Refused(f"{args.file}: not UTF-8 text ({exc.reason})") from exc
    except ValueError as exc:
        detail = " ".join(str(exc).split())  # a YAML error spans several lines
        raise _Refused(f"{args.file}: {detail}") from exc
    for event in events:
        before = await service.get(event.id)
        if before == event:
            print(f"{event.id}\tunchanged")
            continue
        # As /event_edit does: the delegates' notices go to the outbox in the transaction
        # that saves the event; the running bot's delivery worker sends them.
        texts = EventNotices(
            Translator.load(default=settings.default_language),
            UserService(service.db, flows, settings.admin_ids),
            default_language=settings.default_language,
            tz=settings.tz,
        )
        broadcasts = BroadcastService(service.db, config_admins=settings.admin_ids)
        notify: Notify[Saved] = broadcasts.notices(texts.moved)
        saved = await service.save(event, notify=notify)
        # (not saved.created: the storage compares second-precision times, so an event
        # replaced within a second of its creation would read as created)
        line = f"{event.id}\t{'created' if before is None else 'updated'}"
        if saved.moved and saved.affected:
            queued, left_out = len(notify.queued.chats), len(notify.queued.left_out)
            line += (
                f"\ttime or place changed: {_count(queued, 'person', 'people')} with a seat, "
                "waiting or not sure yet will be told by the bot (notices queued)"
            )
            if left_out:
                unreachable = _count(left_out, "person", "people")
                line += f", {unreachable} cannot be reached (blocked the bot)"
        print(line)
    return 0


async def _invite_command(
    service: EventService, settings: Settings, args: argparse.Namespace, data: bytes
) -> int:
    from bot.documents.invitees import InviteeFileError, read_invitees, source_line

    event = await service.get(args.event_id)
    if event is None:
        raise _Refused(f"No event {args.event_id!r} (see: thidua-bot event list)")
    if args.invite_command == "sheet":
        return await _invite_sheet(service, settings, args, event)
    try:
        rows = read_invitees(args.file.name, data)
    except InviteeFileError as exc:
        raise _Refused(f"{args.file}: {_INVITEE_FILE_ERRORS.get(exc.code, exc.code)}") from exc
    imported = await service.invite(event.id, rows)
    total = len(await service.invitees(event.id))
    print(
        f"{event.id}: {len(imported.added)} added, "
        + (f"{imported.updated} updated, " if imported.updated else "")
        + f"{imported.skipped} already invited, "
        f"{_count(len(imported.errors), 'line')} with errors; {_count(total, 'invitee')} in all"
    )
    for line, reason in imported.errors:
        row = rows[line - 2] if 0 <= line - 2 < len(rows) else {}
        if reason == "duplicate":
            why = f"the same person as line {source_line(rows, imported.duplicate_of[line])}"
        elif not row.get("full_name"):
            why = "no name"
        else:
            why = "a value is too short or too long"
        print(f"  line {source_line(rows, line)}: {why}")
    for line, written in imported.ungrouped.items():
        several = event.find_group(written).several
        why = (
            f"could be several groups ({', '.join(g.id for g in several)})"
            if several
            else f"is no group of the event (groups: {', '.join(g.id for g in event.groups)})"
        )
        print(
            f"  line {source_line(rows, line)}: invited without a group: {written!r} {why}; "
            "correct the list and import it again to set it"
        )
    for typed, group_id in imported.read_as.items():
        print(f"  group {typed!r} read as {group_id}")
    return 0


_INVITEE_FILE_ERRORS = {
    "type": "not an .xlsx or .csv file",
    "too_large": "over 2 MB",
    "too_many": "over 2000 people",
    "unreadable": "cannot be read as a spreadsheet",
    "encoding": "a .csv must be UTF-8 (in Excel: Save As > CSV UTF-8)",
    "no_name": "no column of names (a header such as 'Họ và tên' or 'name')",
    "empty": "nobody is listed",
}


async def _invite_sheet(
    service: EventService, settings: Settings, args: argparse.Namespace, event: Event
) -> int:
    from bot.documents.invitations import invitation_sheet
    from bot.i18n import Translator

    invitees = await service.invitees(event.id)
    if not invitees:
        raise _Refused(f"No invitees for {event.id} yet (see: thidua-bot invite import)")
    username = (args.bot or "").lstrip("@") or await _bot_username(settings)
    translator = Translator.load(default=settings.default_language)

    def t(key: str) -> str:
        return translator(settings.default_language, key)

    data = await asyncio.to_thread(invitation_sheet, event, invitees, username, t=t)
    _write(Path(args.output), data)
    print(f"Wrote the invitations of {_count(len(invitees), 'invitee')} to {args.output}")
    return 0


async def _bot_username(settings: Settings) -> str:
    """The bot's @username, from Telegram (getMe) with the configured token."""
    if settings.token is None:
        raise _Refused("Give the bot's username (--bot USERNAME) or set TELEGRAM_BOT_TOKEN")
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        async with Bot(settings.token, base_url=settings.telegram_api_url) as bot:
            return bot.username
    except TelegramError as exc:
        raise _Refused(f"Could not ask Telegram for the bot's username ({exc}); use --bot") from exc


def _label(hit: Hit) -> str:
    return f"{hit.section.path} {hit.section.heading}".strip()


def _answer_json(answer: Answer) -> dict[str, Any]:
    """``{"question","answer","document","section","score","abstained","alternatives"}``; the
    other plan's passage (``also``) comes first among the alternatives."""
    others = [*answer.also, *answer.alternatives]
    alternatives = [
        {"document": h.document.id, "section": _label(h), "score": h.score} for h in others
    ]
    result: dict[str, Any] = {
        "question": answer.question,
        "answer": None,
        "document": None,
        "section": None,
        "score": 0.0,
        "abstained": answer.abstained,
        "alternatives": alternatives,
    }
    if answer.faq is not None:
        result.update(
            answer=answer.faq.answer, document="faq", section=answer.faq.source, score=1.0
        )
    elif answer.best is not None and not answer.abstained:
        best = answer.best
        result.update(
            answer=best.section.text,
            document=best.document.id,
            section=_label(best),
            score=best.score,
        )
    elif answer.best is not None:
        result["score"] = answer.best.score  # how close the passage it turned down came
    return result


def _answer_text(answer: Answer) -> str:
    if answer.faq is not None:
        return f"Hỏi đáp #{answer.faq.id} › {answer.faq.source}\n{answer.faq.answer}"
    if answer.abstained or answer.best is None:
        return "No answer in the documents (Không tìm thấy câu trả lời trong tài liệu)."
    blocks = [
        f"{h.citation} ({h.score:.2f})\n{h.section.text}" for h in (answer.best, *answer.also)
    ]
    if answer.alternatives:
        blocks.append(
            "Xem thêm:\n"
            + "\n".join(f"- {h.citation} ({h.score:.2f})" for h in answer.alternatives)
        )
    return "\n\n".join(blocks)


def _telegram(settings: Settings) -> int:
    from telegram import Update

    from bot.app import build_application

    app = build_application(settings)
    if settings.webhook_url:
        path = urlparse(settings.webhook_url).path.lstrip("/")
        log.info(
            "starting in webhook mode on %s:%s", settings.webhook_listen, settings.webhook_port
        )
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=(
                settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            ),
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        log.info("starting in long-polling mode")
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def _terminal(settings: Settings) -> int:
    from bot.app import build_application
    from bot.services.container import Services
    from bot.tg.stub_api import BotAPIStub
    from bot.tg.stub_request import StubRequest
    from bot.tg.terminal import TerminalChat, start_input_thread

    setup_logging(settings.log_level, [settings.token or ""], quiet_console=True)
    services = Services.build(settings)
    stub = BotAPIStub()
    chat = TerminalChat(stub, services.translator, settings.default_language)
    app = build_application(
        settings,
        services=services,
        request=StubRequest(stub),
        updates_request=StubRequest(stub),
    )
    original_post_init = app.post_init

    async def post_init(application: Any) -> None:
        if original_post_init is not None:
            await original_post_init(application)
        loop = asyncio.get_running_loop()
        chat._print(chat.t("terminal.banner", db=str(settings.database_path), user_id=chat.user.id))

        def stop() -> None:
            loop.call_soon_threadsafe(application.stop_running)

        async def start_reading(_: object) -> None:
            # A job runs once the application is running, when stop_running() takes effect.
            start_input_thread(chat, sys.stdin, stop)

        application.job_queue.run_once(start_reading, when=0)

    app.post_init = post_init
    app.run_polling(poll_interval=0.0, timeout=5, close_loop=False)
    chat._print(chat.t("terminal.bye"))
    return 0
