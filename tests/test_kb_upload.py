"""An admin adds a document by sending it with the caption /kb_add: through the Bot API stand-in's
own getFile and download (no patching), imported and searchable at once."""

from __future__ import annotations

from bot.tg.stub_api import StubUser
from tests.harness import Harness

DOCUMENT = """KẾ HOẠCH
Tổ chức Ngày hội sáng kiến năm 2026
Căn cứ chức năng, nhiệm vụ được giao, Sở xây dựng kế hoạch như sau:
I. THỜI GIAN, ĐỊA ĐIỂM
1. Thời gian: ngày 15/3/2026.
2. Địa điểm: Hội trường tầng 3, số 1 đường Lê Lợi.
"""


async def feed_document(bot: Harness, user: StubUser, caption: str) -> None:
    update = bot.stub.user_document(user, "ngay-hoi.txt", DOCUMENT.encode("utf-8"), caption)
    bot.stub.pending_updates(update["update_id"] + 1)
    await bot.feed(update)


async def test_admin_upload_is_searchable_at_once(bot: Harness, admin: StubUser) -> None:
    await feed_document(bot, admin, "/kb_add")
    assert any(call.method == "getFile" for call in bot.stub.calls)
    documents = await bot.services.knowledge.documents()
    assert any("Ngày hội sáng kiến" in d.title for d in documents)
    answer = await bot.services.knowledge.ask("ngay hoi sang kien to chuc o dau")
    assert not answer.abstained and answer.best is not None
    assert "Hội trường tầng 3" in answer.best.section.text


async def test_upload_by_a_non_admin_is_refused(bot: Harness, alice: StubUser) -> None:
    await bot.say(alice, "/help")
    before = len(await bot.services.knowledge.documents())
    await feed_document(bot, alice, "/kb_add")
    assert not any(call.method == "getFile" for call in bot.stub.calls)
    assert len(await bot.services.knowledge.documents()) == before


async def test_a_file_sent_alone_is_added_by_replying_kb_add(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """A file without the caption is not lost: the admin is told to reply to it with /kb_add
    (or /invite_import), and that reply imports it. Others are told what files are for."""
    await bot.say(admin, "/help")
    update = bot.stub.user_document(admin, "ngay-hoi.txt", DOCUMENT.encode("utf-8"))
    bot.stub.pending_updates(update["update_id"] + 1)
    await bot.feed(update)
    assert bot.last_text(admin.id) == bot.t("fallback.file_admin")
    assert not any(call.method == "getFile" for call in bot.stub.calls)
    await bot.say(admin, "/kb_add", reply_to=update["message"]["message_id"])
    assert any(call.method == "getFile" for call in bot.stub.calls)
    documents = await bot.services.knowledge.documents()
    assert any("Ngày hội sáng kiến" in d.title for d in documents)
    await bot.say(admin, "/kb_add")  # alone, replying to nothing: how to send one
    assert bot.last_text(admin.id).startswith(bot.t("kb.doc.how", limit=0)[:30])

    await bot.say(alice, "/help")
    mine = bot.stub.user_document(alice, "anh.txt", b"x")
    bot.stub.pending_updates(mine["update_id"] + 1)
    await bot.feed(mine)
    assert bot.last_text(alice.id) == bot.t("fallback.file")
