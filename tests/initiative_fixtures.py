"""Submitted initiatives for tests, made through the service layer (not the chat form).

    item = await submit_initiative(bot, alice, title="Số hóa hồ sơ một cửa")

registers the person through the bot's onboarding if they are not registered yet, walks the
form definition with the pure engine (:func:`bot.domain.initiative.apply`, one valid answer per
question, so a change of the form file is followed), stores the draft and submits it with
:meth:`InitiativeService.submit`, as the form's last step does.
"""

from __future__ import annotations

import itertools
from typing import Any

from bot.domain import initiative as engine
from bot.domain.initiative import REVIEW, Attachment, Initiative, Input
from bot.services.flows import StepRef
from bot.tg.stub_api import StubUser
from storage import flows as flow_sql
from tests.harness import Harness

FLOW = "initiative"
_update_ids = itertools.count(-1_000_000, -1)  # never a real update id

DESCRIPTION = (
    "Xây dựng phần mềm quản lý hồ sơ một cửa trên nền tảng số, giúp tra cứu, theo dõi tiến độ "
    "và thống kê kết quả giải quyết thủ tục hành chính nhanh chóng, chính xác."
)
CONFIDENTIAL = "Mã nguồn và sơ đồ cơ sở dữ liệu chỉ cung cấp cho Hội đồng."


async def register(
    bot: Harness, user: StubUser, full_name: str = "Trần Thị Hoa", unit: int = 0
) -> None:
    """Onboarding through the chat: ``unit`` is the index of the unit button."""
    await bot.say(user, "/start")
    await bot.press(user, "pf:yes")
    await bot.say(user, full_name)
    await bot.press(user, f"pf:unit:{unit}")
    await bot.say(user, "Chuyên viên")
    await bot.press(user, "pf:skip")
    await bot.press(user, "pf:ok")


def _person_answer(sub: str, workplace: str) -> str:
    return {
        "full_name": "Lê Văn Minh",
        "birth_date": "15/04/1985",
        "workplace": workplace,
        "position": "Chuyên viên",
        "qualification": "Kỹ sư công nghệ thông tin",
        "task": "Hỗ trợ áp dụng thử",
    }[sub]


def complete_draft(
    bot: Harness,
    profile: dict[str, str | None],
    *,
    title: str,
    co_author: bool,
    confidential: str | None,
    files: int,
) -> dict[str, Any]:
    """A draft with every question of the form answered, ready to submit."""
    services = bot.services
    form = services.initiatives.form
    today = services.initiatives.today()
    workplace = profile.get("unit") or "Văn phòng Sở"
    draft = engine.new_draft(profile)
    attached = 0
    for _ in range(500):
        state = engine.next_state(form, draft)
        if state == REVIEW:
            break
        given: Input
        if "." in state:
            list_id, sub = state.split(".", 1)
            if sub == "more":
                count = len(draft.get("answers", {}).get(list_id) or [])
                wanted = 2 if (list_id == "authors" and co_author) else 0
                if list_id == "authors":
                    wanted = max(wanted, 1)
                given = Input("option", option="add" if count < wanted else "done")
            else:
                given = Input("text", text=_person_answer(sub, workplace))
        else:
            field = form.field(state)
            if field.kind == "shares":
                count = len(draft["answers"].get("authors") or [])
                shares = [100 - 30 * (count - 1)] + [30] * (count - 1)
                given = Input("text", text=" ".join(str(s) for s in shares))
            elif field.kind == "choice":
                given = Input("option", option="c:0")
            elif field.kind == "yesno":
                given = Input("option", option="no")
            elif field.kind == "date":
                given = Input("text", text="01/03/2024")
            elif field.kind == "long":
                value = draft["answers"].get(field.id) or {}
                if not value.get("parts"):
                    given = Input("text", text=DESCRIPTION)
                elif field.files and attached < files:
                    attached += 1
                    given = Input("file", file=_attachment(attached))
                else:
                    given = Input("option", option="done")
            elif field.id == "title":
                given = Input("text", text=title)
            elif field.confidential:
                if confidential:
                    given = Input("text", text=confidential)
                else:
                    given = Input("option", option="skip")
            elif field.optional:
                given = Input("option", option="skip")
            else:
                given = Input("text", text=f"Nội dung mục {field.id}: đầy đủ, rõ ràng.")
        draft = engine.apply(form, draft, state, given, today).draft
    assert engine.is_complete(form, draft), "the test draft does not complete the form"
    return draft


def _attachment(n: int) -> Attachment:
    return Attachment(
        file_id=f"test-file-{n}",
        file_unique_id=f"test-unique-{n}",
        name=f"ban-ve-{n}.pdf",
        mime="application/pdf",
        size=120_000 * n,
    )


async def submit_initiative(
    bot: Harness,
    user: StubUser,
    *,
    title: str = "Số hóa quy trình tiếp nhận hồ sơ một cửa",
    co_author: bool = True,
    confidential: str | None = CONFIDENTIAL,
    files: int = 1,
    full_name: str = "Trần Thị Hoa",
    unit: int = 0,
) -> Initiative:
    """A submitted initiative of ``user`` (registered first if needed: ``full_name``, and
    ``unit``, the index of the unit in the onboarding list)."""
    services = bot.services
    person = await services.users.get(user.id)
    if person is None or not person.registered:
        await register(bot, user, full_name, unit)
        person = await services.users.require(user.id)
    draft = complete_draft(
        bot,
        person.profile.model_dump(),
        title=title,
        co_author=co_author,
        confidential=confidential,
        files=files,
    )
    async with services.db.transaction() as conn:
        await flow_sql.put_draft(conn, user.id, FLOW, draft)
    step = StepRef(next(_update_ids), (user.id, user.id))
    submitted = await services.initiatives.submit(step, person)
    assert submitted.created
    return submitted.initiative


async def resubmit(bot: Harness, user: StubUser, initiative_id: int) -> Initiative:
    """The author amends a returned initiative (nothing changed) and submits it again, as
    "Sửa và nộp lại" then the form's last step do."""
    services = bot.services
    person = await services.users.require(user.id)
    key = (user.id, user.id)
    await services.initiatives.amend(StepRef(next(_update_ids), key), person, initiative_id)
    submitted = await services.initiatives.submit(StepRef(next(_update_ids), key), person)
    assert submitted.resubmitted
    return submitted.initiative
