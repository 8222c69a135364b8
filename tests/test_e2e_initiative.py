"""End to end: one complete initiative application through the real ``thidua-bot run`` process.

The bot runs as a subprocess talking HTTP to the fake Bot API on 127.0.0.1 (see
``tests/test_e2e.py``, whose fixtures and helpers this reuses): a person registers through
onboarding, fills the whole ``/sangkien`` form with typed answers, button presses and a document,
submits it, and gets the receipt and the filled form as a .docx (uploaded as multipart, as to
Telegram). The record is then read from the bot's SQLite file.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from docx import Document

from bot.i18n import Translator
from bot.tg.stub_api import StubUser
from tests.fake_api_server import FakeBotAPI
from tests.test_e2e import (  # noqa: F401  (fixtures: fake, bots, tr, alice)
    REPLY,
    Bots,
    alice,
    bots,
    db_rows,
    fake,
    press,
    say,
    start_onboarding,
    t,
    tr,
)

TITLE = "Số hóa quy trình tiếp nhận hồ sơ tại bộ phận một cửa"


def head(tr: Translator, key: str) -> str:  # noqa: F811
    """The message's text up to its first parameter: what any rendering of it contains."""
    return tr.raw("vi", key).split("{", 1)[0]


def register(fake: FakeBotAPI, tr: Translator, user: StubUser) -> None:  # noqa: F811
    start_onboarding(fake, tr, user)
    say(fake, user, "nguyễn thị lan", t(tr, "onboarding.ask_unit"))
    say(fake, user, "1", t(tr, "onboarding.ask_position"))
    say(fake, user, "Chuyên viên", t(tr, "onboarding.ask_phone"))
    press(fake, user, "pf:skip", t(tr, "onboarding.confirm"))
    press(fake, user, "pf:ok", t(tr, "onboarding.done", name="Nguyễn Thị Lan"))


def test_initiative_submitted_over_http(
    fake: FakeBotAPI,  # noqa: F811
    bots: Bots,  # noqa: F811
    tr: Translator,  # noqa: F811
    alice: StubUser,  # noqa: F811
) -> None:
    process = bots.start()
    register(fake, tr, alice)

    def ask(key: str) -> str:
        return head(tr, f"initiative.ask.{key}")

    # Items 0-1: the recipient, then the authors (name, unit, position come from the profile).
    mark = fake.mark()
    say(fake, alice, "/sangkien", ask("recipient"))
    assert head(tr, "initiative.intro") in "\n".join(fake.texts(alice.id, since=mark))
    press(fake, alice, "sk:c:0", ask("person.birth_date"))
    say(fake, alice, "15/8/1985", ask("person.qualification"))
    _, listed = say(fake, alice, "Thạc sĩ quản lý công", ask("more.authors"))  # not the notice:
    assert "Nguyễn Thị Lan" in listed  # the list with its buttons comes after it
    press(fake, alice, "sk:add", ask("person.full_name"))
    say(fake, alice, "trần văn bình", ask("person.birth_date"))
    say(fake, alice, "02-03-1980", ask("person.workplace"))
    say(fake, alice, "Trung tâm Thông tin", ask("person.position"))
    say(fake, alice, "Chuyên viên", ask("person.qualification"))
    mark = fake.mark()
    _, listed = say(fake, alice, "Kỹ sư", ask("more.authors"))
    assert "Trần Văn Bình" in listed
    assert t(tr, "initiative.person_added", name="Trần Văn Bình") in fake.texts(
        alice.id, since=mark
    )
    press(fake, alice, "sk:done", ask("shares"))
    say(fake, alice, "60, 40", ask("title"))
    # Items 2-7.
    say(fake, alice, TITLE, ask("solution_type"))
    press(fake, alice, "sk:c:1", ask("campaign"))
    press(fake, alice, "sk:c:0", ask("investor"))
    press(fake, alice, "sk:skip", ask("state_funds"))
    press(fake, alice, "sk:yes", ask("domain"))
    say(fake, alice, "Cải cách hành chính", ask("problem"))
    say(fake, alice, "Hồ sơ xử lý chậm, dễ thất lạc", ask("first_applied"))
    say(fake, alice, "1/3/2025", ask("description"))
    # Item 8, the description: two messages and a document, then /xong.
    part = "Số hóa toàn bộ quy trình tiếp nhận hồ sơ, tra cứu trực tuyến."
    say(fake, alice, part, t(tr, "initiative.part_saved", count=1, chars=len(part)))
    mark = fake.mark()
    fake.stub.user_document(alice, "so-do.pdf", b"%PDF-1.4 so do", mime_type="application/pdf")
    fake.wait_for_text(alice.id, head(tr, "initiative.file_saved"), REPLY, since=mark)
    say(fake, alice, "/xong", ask("confidential"))
    press(fake, alice, "sk:skip", ask("conditions"))
    say(fake, alice, "Máy tính kết nối mạng", ask("benefit_author"))
    say(fake, alice, "Giảm 50% thời gian xử lý", ask("benefit_others"))
    press(fake, alice, "sk:skip", ask("more.appliers"))
    _, review = press(fake, alice, "sk:done", head(tr, "initiative.review_title"))
    assert TITLE in review and "Trần Văn Bình" in review and "so-do.pdf" in review
    press(fake, alice, "sk:submit", ask("commit"))

    # The commitment: the receipt with the number, then the filled form as a .docx.
    number = f"SK-{datetime.now(ZoneInfo('Asia/Ho_Chi_Minh')).year}-0001"
    mark = fake.mark()
    update = fake.press_latest(alice, "sk:commit")
    fake.wait_for_text(
        alice.id, t(tr, "initiative.submitted", number=number, title=TITLE), REPLY, since=mark
    )
    sent = fake.wait_for_call("sendDocument", REPLY, since=mark)
    assert str(sent.params["chat_id"]) == str(alice.id)
    assert sent.params["caption"] == t(tr, "initiative.form_caption", number=number)
    assert sent.params["_filename"] == f"{number}.docx"
    data = sent.params["_bytes"]
    assert isinstance(data, bytes) and data.startswith(b"PK")  # a zip: what .docx files are
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for table in doc.tables for row in table.rows for c in row.cells]
    assert TITLE in text
    assert "Nguyễn Thị Lan" in cells and "Trần Văn Bình" in cells
    fake.wait_confirmed(update["update_id"])

    # The record, read while the bot runs (WAL), then again after a graceful stop.
    def check_database() -> None:
        rows = db_rows(
            bots.database,
            "SELECT number, title, status, submitter_id, unit, content FROM initiatives",
        )
        assert len(rows) == 1
        row = rows[0]
        assert (row["number"], row["title"], row["status"]) == (number, TITLE, "submitted")
        assert row["submitter_id"] == alice.id and row["unit"] == "Văn phòng Sở"
        content = json.loads(row["content"])
        assert [a["full_name"] for a in content["authors"]] == ["Nguyễn Thị Lan", "Trần Văn Bình"]
        assert [a["share"] for a in content["authors"]] == [60, 40]
        assert content["state_funds"] is True and content["investor"] is None
        assert content["description"]["parts"] == [part]
        assert [f["name"] for f in content["description"]["files"]] == ["so-do.pdf"]
        assert content["appliers"] == []
        drafts = db_rows(
            bots.database, "SELECT count(*) AS n FROM drafts WHERE user_id = ?", alice.id
        )
        assert drafts[0]["n"] == 0

    check_database()
    assert process.stop() == 0, process.output()
    check_database()
    assert "Traceback" not in process.output(), process.output()
