"""Composition root: build the Application and register every handler, in one ordered place."""

from __future__ import annotations

import json
import logging
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.services.container import Services
from bot.tg.active_flow import ActiveFlowFirst
from bot.tg.broadcaster import Broadcaster, broadcast_http
from bot.tg.commands import set_admin_commands, set_default_commands
from bot.tg.context import BotContext, ThiduaApplication
from bot.tg.errors import on_error
from bot.tg.inbox import DurableUpdateQueue, UpdateRecorder
from bot.tg.persistence import SQLitePersistence
from bot.tg.processor import KeyedUpdateProcessor
from bot.tg.ratelimit import RetryingRateLimiter
from bot.tg.replybot import ReplyBot
from handlers import (
    admin,
    ask,
    broadcast,
    checkin,
    events_admin,
    export,
    forget,
    initiative,
    language,
    menu,
    office,
    onboarding,
    review,
    rsvp,
)
from handlers.common import (
    DONE_COMMANDS,
    FORM_BUTTON,
    NotInFlow,
    Words,
    gate,
    identify,
    typed_language_inside,
)

log = logging.getLogger(__name__)

# Ids of processed updates are kept this long to recognise a delivery seen before (webhook
# retries, an inbox replay racing a redelivery); Telegram restarts numbering after a week idle.
PROCESSED_UPDATES_KEPT = timedelta(days=8)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Every handler of the bot, in order. Order matters: within a group the first match wins."""
    settings = services.settings
    # -30: the office answers questions passed to it, by replying to the bot's message in the
    # office group or an admin's private chat; its "save as FAQ" button; /reply and /questions
    # typed in the office group. Before the gate (which stops group traffic): these identify
    # the person themselves and stop the update once handled; other replies go on.
    answering = filters.UpdateType.MESSAGE & filters.REPLY & filters.TEXT & ~filters.COMMAND
    app.add_handler(
        MessageHandler(answering & office.office_chats(settings), office.on_reply), group=-30
    )
    app.add_handler(
        CallbackQueryHandler(office.faq_button, pattern=r"^kb:faq:\d{1,18}$"), group=-30
    )
    office_group = office.office_group(settings)
    if office_group is not None:
        for name, callback in (
            ("reply", office.reply_in_group),
            ("questions", office.questions_command),
        ):
            app.add_handler(
                CommandHandler(name, office.in_office_group(callback), filters=office_group),
                group=-30,
            )
    # -20: ignore edits and channel posts; in groups, only point to the private chat.
    app.add_handler(TypeHandler(Update, gate), group=-20)
    # -10: record the person and pick their language.
    app.add_handler(TypeHandler(Update, identify), group=-10)
    # The flows by name, filled below (group 0): every update of a person in one goes there first.
    active_flow = ActiveFlowFirst(services.states)
    # -9: right after /language inside a flow, its typed "2" or "English" picks the language,
    # not an answer to the flow's question; the question is asked again.
    app.add_handler(
        TypeHandler(Update, typed_language_inside(services.states, active_flow.flows.get)),
        group=-9,
    )
    # -8: right after an answer, a typed button number ("2"), "gửi" or "👍" means that button
    # (before the main menu's typed numbers); any other message ends that.
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE, ask.typed_pick),
        group=-8,
    )
    # -7: likewise right after a /my_initiatives or /review screen (its list numbers).
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE, review.typed_number),
        group=-7,
    )
    # -6: likewise right after a /broadcasts or /settings screen (its numbers and labels).
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE, broadcast.typed_pick),
        group=-6,
    )

    # -4: likewise right after the confirmation that an office answer was relayed ("1", "lưu":
    # save it as a curated entry). (-5 is left free: tests put their probes there.)
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE, office.typed_save),
        group=-4,
    )

    # -3: outside any flow and screen, a menu item's number typed long after the menu (not
    # right after it): the menu again, rather than opening that item.
    app.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & NotInFlow(services.states),
            menu.number_not_after_menu,
        ),
        group=-3,
    )

    # 0, first: a person in the middle of a flow goes straight to that flow's steps (only
    # what one of its steps takes; everything else keeps the order below: bot/tg/active_flow).
    app.add_handler(active_flow)

    with warnings.catch_warnings():
        # CallbackQueryHandlers inside per-chat conversations are what we want here.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        # 0: the flows (persistent conversations). Their entry points only open when the person
        # is in no other flow; while in one, its fallbacks answer every other command.
        # Conference: /start rsvp_<code> (an invitation's deep link), /my_events, answers
        # (before onboarding, which owns every other /start).
        for rsvp_handler in rsvp.handlers(services, app.user_data):
            app.add_handler(rsvp_handler)
        app.add_handler(onboarding.build(services))  # /start, deep links, onboarding, /profile
        app.add_handler(language.build(services))  # /language
        app.add_handler(forget.build(services))  # /forget_me
        app.add_handler(ask.build(services))  # /hoi, /ask (without a question: asks for it)
        # The conference office: /invite_import (also as a file's caption), /invitations,
        # /event_edit, /event_delete (admins). Before the form, whose entry takes the main
        # menu's typed "1": right after a saved change, "1" is its «Sửa mục khác».
        for office_flow in events_admin.handlers(services, app.user_data):
            app.add_handler(office_flow)
        # /reply in a private chat (admins): the answer to an office question, asked for; a
        # supplement once answered; a /questions button or its number typed right after.
        app.add_handler(office.build_reply(services, app.user_data))
        # The reviewer's comment: changes asked, refusal. Before the form, whose entry takes
        # the main menu's typed "1": right after a review screen, "1" may be its button.
        app.add_handler(review.build(services, app.user_data))
        # /sangkien: the form; "Sửa và nộp lại" (pressed, or typed on the screen that offered it)
        app.add_handler(initiative.build(services, app.user_data, review.amend_pick(app.user_data)))
        app.add_handler(office.build_faq(services))  # /faq_add (admins)
        # The conference door: /checkin (mode), /rsvp_stats, /rsvp_pending, /export_rsvp.
        for door_flow in checkin.handlers(services):
            app.add_handler(door_flow)
        app.add_handler(broadcast.build(services))  # /broadcast (admins)
    for handler in app.handlers[0]:
        if isinstance(handler, ConversationHandler):
            active_flow.add(handler)

    # 0: single-step commands.
    app.add_handler(CommandHandler("menu", menu.menu_command))
    app.add_handler(CommandHandler("help", menu.help_command))
    app.add_handler(CallbackQueryHandler(menu.help_button, pattern=r"^menu:help$"))
    app.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & menu.MenuChoice(services.translator, "help"),
            menu.help_command,
        )
    )
    # Typed outside any flow: "menu" shows it; "hủy", "thôi" say there is nothing to cancel,
    # "xong" nothing under way.
    typed = filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(typed & Words(menu.MENU_WORDS, "menu"), menu.menu_command))
    app.add_handler(MessageHandler(typed & Words(menu.CANCEL_WORDS, "cancel"), menu.cancel_outside))
    app.add_handler(MessageHandler(typed & Words(menu.FINISH_WORDS, "finish"), menu.finish_outside))
    # "cài đặt": the command it names (not a menu item, not a question).
    app.add_handler(
        MessageHandler(typed & Words(menu.SETTINGS_WORDS, "settings"), broadcast.settings_command)
    )
    app.add_handler(  # «mã QR», «tệp lịch»: a seat's files (after a reminder, say)
        MessageHandler(typed & Words(rsvp.FILES_WORDS, "files"), rsvp.files_outside)
    )
    app.add_handler(  # «tắt thông báo», «bật lại thông báo»: as /settings off|on
        MessageHandler(
            typed & Words(broadcast.OFF_PHRASES | broadcast.ON_PHRASES, "mute"),
            broadcast.settings_typed,
        )
    )
    app.add_handler(CommandHandler("cancel", menu.cancel_outside))
    app.add_handler(CommandHandler([*DONE_COMMANDS, "boqua", "skip"], menu.finish_outside))
    app.add_handler(CommandHandler("grant", admin.grant))  # admins only (checked inside)
    app.add_handler(CommandHandler("revoke", admin.revoke))

    # 0: rules Q&A. The menu item (how to ask); the buttons under an answer ("xem thêm",
    # 👍/👎, "Gửi câu hỏi cho Văn phòng"); the office's commands (admins, checked inside).
    app.add_handler(CallbackQueryHandler(ask.explain, pattern=r"^menu:ask$"))
    app.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & menu.MenuChoice(services.translator, "ask"),
            ask.explain,
        )
    )
    for handler in ask.button_handlers():
        app.add_handler(handler)
    app.add_handler(CommandHandler("questions", office.questions_command))
    app.add_handler(CommandHandler("faqs", office.faqs_command))
    app.add_handler(CommandHandler("faq_remove", office.faq_remove_command))
    app.add_handler(CommandHandler("kb_add", office.kb_add))  # without a file: how to send one
    app.add_handler(MessageHandler(office.kb_add_filter(), office.kb_add))  # caption /kb_add

    # 0: initiatives outside the form: the filled form again (its submitter, reviewers);
    # /my_initiatives (details, withdraw), /review and its buttons (admins and reviewers,
    # checked inside), /export_initiatives.
    app.add_handler(CallbackQueryHandler(initiative.form_button, pattern=rf"^{FORM_BUTTON}$"))
    for initiative_handler in (*review.handlers(services), *export.handlers(services)):
        app.add_handler(initiative_handler)

    # 0: announcements outside the composer: /broadcasts and its buttons (admins, checked
    # inside: details, cancel, failures as .xlsx); /settings (everyone): announcements on/off.
    for broadcast_handler in broadcast.handlers(services):
        app.add_handler(broadcast_handler)

    # 0, last: whatever nothing above handled (same group, so they run only then). Free text
    # is a question for the knowledge base (typed menu choices were taken above).
    app.add_handler(MessageHandler(filters.COMMAND, menu.unknown_command))
    app.add_handler(MessageHandler(filters.TEXT, ask.free_text))
    app.add_handler(CallbackQueryHandler(menu.stale_button))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE, menu.unexpected_message))

    app.add_error_handler(on_error)


async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Open resources and connect the update processor's hooks (runs after ``initialize``)."""
    assert isinstance(app, ThiduaApplication)
    services = app.services
    await services.open()

    processor = app.update_processor
    if isinstance(processor, KeyedUpdateProcessor):
        flows = services.flows

        async def before(update: Update) -> bool:
            if await flows.is_processed(update.update_id):
                await flows.drop_received(update.update_id)  # delivered again: stored again
                return False
            return True

        persistence = app.persistence
        assert isinstance(persistence, SQLitePersistence)

        async def after(update: Update) -> None:
            await flows.mark_processed(update.update_id)
            # The person's user_data (what their last screens showed), written now if it
            # changed. Conversation states are written by the flow steps themselves; the
            # framework's interval flush (every 30 s) remains the safety net for the rest.
            user = update.effective_user
            if user is not None:
                await persistence.flush_user(user.id, app.user_data.get(user.id))

        processor.before, processor.after = before, after

    queue = app.update_queue
    if isinstance(queue, DurableUpdateQueue):
        flows = services.flows

        async def store(update: Update, data: str) -> None:
            await flows.receive(update.update_id, data)

        queue.store = store  # an update that came another way (webhook): one at a time
        if queue.recorder is not None:
            queue.recorder.store = flows.receive_batch  # each getUpdates answer, in one write
        pending = [Update.de_json(json.loads(data), app.bot) for data in await flows.unprocessed()]
        await queue.replay([u for u in pending if u is not None])

    translator = services.translator
    await set_default_commands(app, translator, services.settings.default_language)
    admins = []
    for user_id in await services.users.admin_ids():
        user = await services.users.get(user_id)
        default = services.settings.default_language
        admins.append((user_id, user.locale(default) if user else default))
    await set_admin_commands(app, translator, admins)

    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _prune, interval=timedelta(hours=6), first=60, name="prune-processed-updates"
        )
        app.job_queue.run_repeating(
            initiative.remind_drafts, interval=timedelta(hours=1), first=90, name="draft-reminders"
        )
        # Conference reminders (due rows in the database: nothing to rebuild after a restart).
        app.job_queue.run_repeating(
            rsvp.send_reminders, interval=timedelta(seconds=30), first=5, name="rsvp-reminders"
        )
    # Announcements: the delivery worker, on a Bot of its own without the rate limiter.
    if app.broadcast_request is not None:
        app.broadcaster = await Broadcaster.launch(services, app.bot.token, app.broadcast_request)
    log.info("bot ready: database %s", services.settings.database_path)


async def _prune(context: BotContext) -> None:
    cutoff = (datetime.now(UTC) - PROCESSED_UPDATES_KEPT).isoformat(timespec="seconds")
    removed = await context.services.flows.prune(cutoff)
    log.info("pruned %d processed-update ids", removed)


async def post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    assert isinstance(app, ThiduaApplication)
    if app.broadcaster is not None:  # before the database closes: the answers are recorded
        await app.broadcaster.stop()
        app.broadcaster = None
    await app.services.close()


def build_application(
    settings: Settings,
    *,
    services: Services | None = None,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    rate_limiter: bool = True,
    broadcast_request: BaseRequest | None = None,
) -> ThiduaApplication:
    """The bot's Application; ``request``/``updates_request`` replace HTTP (terminal, tests).

    Announcements go through a Bot of their own without the rate limiter, on
    ``broadcast_request``: by default a dedicated HTTP pool, or ``request`` when one is given.
    """
    services = services or Services.build(settings)
    api: BaseRequest
    if request is not None:
        api, polling = request, updates_request or request
    else:
        api = HTTPXRequest(
            connection_pool_size=64,
            connect_timeout=10,
            read_timeout=15,
            write_timeout=20,
            pool_timeout=5,
        )
        polling = HTTPXRequest(connect_timeout=10, read_timeout=40)
    # getUpdates stores each answer's updates in the inbox, in one write (bot/tg/inbox.py).
    recorder = UpdateRecorder(polling)
    bot = ReplyBot(
        settings.token or "0:local-terminal-chat",
        base_url=settings.telegram_api_url,
        base_file_url=settings.base_file_url,
        request=api,
        get_updates_request=recorder,
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz),
        rate_limiter=RetryingRateLimiter() if rate_limiter else None,
    )
    app = (
        ApplicationBuilder()
        .application_class(ThiduaApplication, kwargs={"services": services})
        .bot(bot)
        .context_types(ContextTypes(context=BotContext))
        .persistence(SQLitePersistence(services.db, services.states))
        .concurrent_updates(KeyedUpdateProcessor())
        .update_queue(DurableUpdateQueue(recorder))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    assert isinstance(app, ThiduaApplication)
    app.broadcast_request = broadcast_request or request or broadcast_http(settings)
    register_handlers(app, services)
    return app
