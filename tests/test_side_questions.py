"""A question typed in the middle of a flow, where a date, a number or a button is expected.

It is answered (from the documents, or by pointing to the step's own explanation when it is
about the step) and the step is asked again with every answer kept; at the profile screen,
where nothing is half-typed, the screen closes and the question is answered as outside.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.intents import about_the_step, is_question
from bot.tg.stub_api import StubUser
from tests.harness import Harness
from tests.test_initiative_flow import draft, register, state


async def to_birth_date(bot: Harness, alice: StubUser) -> None:
    """Registered, the form opened, its recipient chosen: the first author's birth date."""
    await register(bot, alice)
    await bot.say(alice, "/sangkien")
    await bot.press(alice, "sk:c:0")


async def test_a_rules_question_at_the_date_step_is_answered_and_the_step_stays(
    bot: Harness, alice: StubUser
) -> None:
    await to_birth_date(bot, alice)
    assert await state(bot, alice) == "authors.birth_date"
    before = await draft(bot, alice)
    mark = bot.mark()
    await bot.say(alice, "thoi gian thi dua dot 2023 la khi nao?")
    said = bot.texts_since(mark, alice.id)
    assert len(said) == 3
    assert "01/01/2023" in said[0] and "11/6/2023" in said[0]  # the passage, with its citation
    assert "Kế hoạch 2023" in said[0]
    assert said[1] == bot.t("flow.question_answered")
    assert bot.t("initiative.ask.person.birth_date") in said[2]  # the step, asked again
    assert await state(bot, alice) == "authors.birth_date"
    assert await draft(bot, alice) == before
    answer = next(c for c in bot.stub.calls[mark:] if "01/01/2023" in str(c.params.get("text")))
    assert not answer.params.get("reply_markup")  # no "xem thêm" or 👍: stale inside the form
    await bot.say(alice, "15/8/1985")
    assert await state(bot, alice) != "authors.birth_date"


async def test_a_question_the_documents_do_not_answer_says_where_to_ask(
    bot: Harness, alice: StubUser
) -> None:
    await to_birth_date(bot, alice)
    mark = bot.mark()
    await bot.say(alice, "phòng họp có máy chiếu không?")
    said = bot.texts_since(mark, alice.id)
    assert said[:2] == [bot.t("kb.inside_none"), bot.t("flow.question_answered")]
    assert await state(bot, alice) == "authors.birth_date"


async def test_a_question_about_the_step_points_to_its_explanation(
    bot: Harness, alice: StubUser
) -> None:
    await to_birth_date(bot, alice)
    mark = bot.mark()
    await bot.say(alice, "ngày sinh ghi thế nào ạ")
    said = bot.texts_since(mark, alice.id)
    assert said[0] == bot.t("flow.step_explained")
    assert bot.t("initiative.ask.person.birth_date") in said[1]
    assert await state(bot, alice) == "authors.birth_date"


async def test_a_question_is_never_kept_as_a_short_answer(bot: Harness, alice: StubUser) -> None:
    """At a free-text step of a person (the qualification), a question is no qualification."""
    await to_birth_date(bot, alice)
    await bot.say(alice, "15/8/1985")
    assert await state(bot, alice) == "authors.qualification"
    await bot.say(alice, "khen thưởng tập thể cần điều kiện gì?")
    assert bot.t("flow.question_answered") in bot.texts(alice.id)
    assert await state(bot, alice) == "authors.qualification"
    assert (
        "person" not in (await draft(bot, alice))
        or "qualification" not in ((await draft(bot, alice))["person"]["data"])
    )
    await bot.say(alice, "Kỹ sư")
    assert await state(bot, alice) == "authors.more"


async def test_a_question_at_the_profile_screen_closes_it_and_is_answered(
    bot: Harness, alice: StubUser
) -> None:
    await register(bot, alice)
    await bot.say(alice, "/profile")
    assert await bot.state(alice, "profile") == "edit"
    mark = bot.mark()
    await bot.say(alice, "thời gian thi đua đợt 2023 là khi nào?")
    said = bot.texts_since(mark, alice.id)
    assert len(said) == 1 and "11/6/2023" in said[0]  # the answer, as outside any flow
    assert await bot.state(alice, "profile") is None
    assert bot.buttons(alice.id)  # its buttons work: the person is in no flow
    await bot.say(alice, "/sangkien")  # and any command is taken
    assert await state(bot, alice) == "recipient"


async def test_a_question_at_the_position_step_is_not_a_position(
    bot: Harness, alice: StubUser
) -> None:
    await register(bot, alice)
    await bot.say(alice, "/profile")
    await bot.say(alice, "sửa chức vụ")
    assert await bot.state(alice, "profile") == "position"
    await bot.say(alice, "chức vụ ghi thế nào?")
    assert bot.texts(alice.id)[-2:] == [
        bot.t("flow.step_explained"),
        bot.t("onboarding.ask_position"),
    ]
    assert await bot.state(alice, "profile") == "position"
    assert await bot.db_value("SELECT position FROM users WHERE user_id=?", alice.id) == (
        "Chuyên viên"
    )


@given(st.text(max_size=80))
def test_a_text_with_a_question_mark_is_a_question(text: str) -> None:
    assert is_question(text + "?")
    assert is_question(text + "？")  # full-width, as some phone keyboards type it


SUBJECT_WORDS = ("chức", "vụ", "trình", "môn", "ngày", "sinh", "tỷ", "lệ", "lĩnh", "vực")


@given(st.lists(st.sampled_from(SUBJECT_WORDS), min_size=1, max_size=5), st.text(max_size=30))
def test_a_step_question_is_about_itself(words: list[str], step_rest: str) -> None:
    """Asking with the step's own words is about the step, whatever else the step says."""
    subject = " ".join(words)
    assert about_the_step(f"{subject} ghi thế nào?", f"{subject} {step_rest}")


def test_questions_and_answers() -> None:
    for question in (
        "hạn nộp là khi nào",
        "hoi nghi to chuc o dau",
        "cho hỏi phải nộp mấy bản",
        "có cần đóng dấu không",
        "What is the deadline",
    ):
        assert is_question(question), question
    for answer in ("15/8/1985", "Kỹ sư điện", "Văn phòng Sở", "không", "60 40", "Chuyên viên"):
        assert not is_question(answer), answer
    assert not about_the_step("hạn nộp sáng kiến là khi nào", "Ngày sáng kiến được áp dụng?")
    assert about_the_step("ngày áp dụng là ngày nào", "Ngày sáng kiến được áp dụng lần đầu?")
