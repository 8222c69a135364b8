"""The knowledge-base search on the shipped plans: ranking, typos, English, abstention."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.text import fold
from bot.kb.models import DocumentMeta, SectionRecord
from bot.kb.search import Lexicon, SearchIndex, accent_key
from bot.kb.segment import segment

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
PLANS = (
    ("ke-hoach-2023-dot-thi-dua-dac-biet", "Kế hoạch 2023", 2023),
    ("ke-hoach-2025-hoi-nghi-tuyen-duong", "Kế hoạch 2025", 2025),
)


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    documents, sections = [], []
    for doc_id, short, year in PLANS:
        parsed = segment((KNOWLEDGE / f"{doc_id}.txt").read_text(encoding="utf-8"))
        relations = ["Thay thế Kế hoạch số 87/KH-SKHCN"] if year == 2025 else []
        documents.append(
            DocumentMeta(
                id=doc_id, title=parsed.title, short_title=short, year=year, relations=relations
            )
        )
        for ordinal, s in enumerate(parsed.sections):
            sections.append(
                SectionRecord(
                    id=len(sections) + 1,
                    document_id=doc_id,
                    ordinal=ordinal,
                    kind=s.kind,
                    path=s.path,
                    heading=s.heading,
                    text=s.text,
                    parents=s.parents,
                )
            )
    return SearchIndex(documents, sections, Lexicon.load())


def folded(text: str) -> str:
    return " ".join(fold(text).split())


def answers(index: SearchIndex, question: str, fact: str, year: int | None = None) -> None:
    answer = index.search(question)
    assert not answer.abstained, (question, answer.reason)
    assert answer.best is not None
    passages = [answer.best, *answer.also]
    assert any(folded(fact) in folded(h.section.text) for h in passages), (
        question,
        answer.best.citation,
    )
    if year is not None:
        assert answer.best.document.year == year


def test_tone_placement_does_not_matter() -> None:
    assert accent_key("hoà") == accent_key("hòa")
    assert accent_key("thuý") == accent_key("thúy")
    assert accent_key("hoà") != accent_key("hỏa")


@pytest.mark.parametrize(
    ("question", "fact", "year"),
    [
        ("Thời gian thi đua từ ngày nào đến ngày nào?", "01/01/2023", 2023),
        ("thoi gian thi dua ket thuc khi nao", "đến ngày 11/6/2023", 2023),  # no diacritics
        ("Khẩu hiệu thi đua là gì", "thi đua lập thành tích", 2023),
        ("khau hieuj thi duaa", "thi đua lập thành tích", 2023),  # telex residue
        ("kinh fi to chuc hoi nghi", "nguồn ngân sách nhà nước", 2025),  # f for ph
        ("HN dự kiến tổ chức khi nào", "quý II/2025", 2025),  # abbreviation
        ("bao nhiêu đại biểu dự hội nghị", "60 đại biểu", 2025),
        ("số lượng bằng khen UBND tỉnh năm 2025", "05-10 tập thể", 2025),
        ("ai ký kế hoạch hội nghị", "Vũ Tuấn Anh", 2025),  # the signature block
        ("kế hoạch 2025 thay thế kế hoạch nào", "87/KH-SKHCN", 2025),  # the closing note
        ("cong van 1578/SNV-TDKT ngay nao", "04/11/2024", 2025),  # the preamble
        ("đối tượng của đợt thi đua đặc biệt", "tập thể, cá nhân thuộc Sở KH&CN", 2023),
        ("how many delegates attend the conference", "60 đại biểu", 2025),  # English
        ("who signed the 2023 plan", "Trần Tùng Chuẩn", 2023),
        # "ở đâu" answered by an item whose heading is a scope
        ("pham vi thi dua o dau", "Trên địa bàn tỉnh Hưng Yên", 2023),
        # a year names one plan: the other plan's item on the same award gives way
        ("so luong giay khen giam doc so hoi nghi 2025", "05-10 tập thể; 05-10 cá nhân", 2025),
        ("TT Thông tin thống kê có nhiệm vụ gì", "Cổng Thông tin điện tử của Sở", 2025),  # TT
        # chat shorthand: «đc», «ko», «k» (được, không), «td», «hn»
        ("kinh phí có đc lấy từ ngân sách ko", "nguồn ngân sách nhà nước", 2025),
        ("phong van hoa huyen co dc moi du hn k", "Phòng Văn hóa, Khoa học và Thông tin", 2025),
        ("doi tuong cua dot td 75 nam", "tập thể, cá nhân thuộc Sở KH&CN", 2023),
        ("hội nghị họp cả ngày hay nửa ngày?", "½ buổi", 2025),  # how long: half a day
        ("ai chịu trách nhiệm đăng kế hoạch lên website sở", "Cổng Thông tin điện tử", 2025),
        # English: the glossary, plurals of it («proposals»), generic words («give», «level»)
        (
            "Who reviews commendation proposals at the department level in the 2025 plan?",
            "Hội đồng Thi đua - Khen thưởng Sở xét duyệt",
            2025,
        ),
        (
            "Will exemplary individuals give presentations at the conference?",
            "Báo cáo tham luận",
            2025,
        ),
        ("Kế hoạch năm 2025 được ban hành theo hướng dẫn của cơ quan nào?", "Sở Nội vụ", 2025),
    ],
)
def test_finds_the_passage(index: SearchIndex, question: str, fact: str, year: int) -> None:
    answers(index, question, fact, year)


def test_both_plans_when_they_answer_differently(index: SearchIndex) -> None:
    answer = index.search("so luong bang khen chu tich ubnd tinh")
    assert not answer.abstained and answer.best is not None
    years = {answer.best.document.year, *(h.document.year for h in answer.also)}
    assert years == {2023, 2025}


def test_a_year_picks_one_plan(index: SearchIndex) -> None:
    answer = index.search("số lượng bằng khen của chủ tịch UBND tỉnh năm 2023")
    assert answer.best is not None and answer.best.document.year == 2023
    assert answer.also == []


@pytest.mark.parametrize(
    "question",
    [
        "thoi tiet ha noi hom nay the nao",
        "giá vàng SJC hôm nay",
        "Hội nghị tuyên dương tổ chức ở đâu?",  # the plans give no venue
        "dia chi so khoa hoc cong nghe hung yen o dau",  # nor an address ("địa bàn" is none)
        "hội nghị tổ chức tại địa điểm nào",
        "hạn nộp hồ sơ sáng kiến là ngày nào",  # nor a deadline
        "mức thưởng bằng khen là bao nhiêu tiền",  # nor amounts
        "What is the prize money for a certificate of merit?",
        "",
        "???",
    ],
)
def test_abstains_when_the_documents_do_not_say(index: SearchIndex, question: str) -> None:
    assert index.search(question).abstained


def test_alternatives_are_other_sections(index: SearchIndex) -> None:
    answer = index.search("thanh phan tham du hoi nghi")
    assert answer.best is not None
    ids = [h.section.id for h in answer.alternatives]
    assert answer.best.section.id not in ids and len(ids) == len(set(ids)) <= 3


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_an_answer_or_an_abstention(index: SearchIndex, text: str) -> None:
    answer = index.search(text)
    assert answer.abstained or answer.best is not None
    if answer.best is not None:
        assert 0.0 <= answer.best.score <= 1.0


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("thoi gan thi dua", "01/01/2023"),  # a known syllable that fits no neighbour: "gian"
        ("khau hiue thi dua la gi", "thi đua lập thành tích"),  # two letters swapped
    ],
)
def test_typos_on_known_syllables_and_swaps(index: SearchIndex, question: str, fact: str) -> None:
    answers(index, question, fact)


def test_a_word_typed_with_its_diacritics_is_meant(index: SearchIndex) -> None:
    """Repair changes a known syllable only when it was typed without its marks, never into a
    stopword, and judges it against its neighbours once they are repaired."""
    marked = frozenset({"ho", "so", "hieu"})
    assert index._correct(["ho", "so", "de", "nghi"], marked)[:2] == ["ho", "so"]
    assert index._correct(["ho", "so", "de", "nghi"])[0] != "co"  # "co" is a stopword
    assert index._correct(["co", "so", "hieu", "la", "gi"], marked)[2] == "hieu"  # not "số điều"
    # "duonng" is repaired first (no syllable doubles a letter); "bieu" then fits it
    assert index._correct(["bieu", "duonng", "khen", "thuong"], frozenset({"bieu"}))[:2] == [
        "bieu",
        "duong",
    ]
    answers(index, "hội nghi có biểu dươnng khen thưởng điên hình tiên tiến k", "Biểu dương")


@pytest.mark.parametrize(
    "question",
    [
        "Có bao nhiêu tập thể được tặng bằng khen trong đợt thi đua năm 2021?",  # no 2021 plan
        "han nop ho so?",  # "hồ sơ" is no phrase of the plans
    ],
)
def test_abstains_on_another_year_or_topic(index: SearchIndex, question: str) -> None:
    assert index.search(question).abstained


@pytest.mark.parametrize(
    "question",
    [
        "Sở Khoa học và Công nghệ tỉnh Bắc Ninh tổ chức hội nghị điển hình tiên tiến khi nào?",
        "ke hoach thi dua cua so y te hung yen nam 2023",
        "When is the Hanoi conference of exemplary models?",
    ],
)
def test_abstains_on_another_province_or_department(index: SearchIndex, question: str) -> None:
    answer = index.search(question)
    assert answer.abstained and answer.reason.endswith("in no document"), answer.reason


def test_a_place_or_body_some_document_names_is_no_other(index: SearchIndex) -> None:
    assert "so noi vu" in index.lexicon.others and "so noi vu" not in index._others
    answers(index, "Sở Nội vụ được mời những ai dự hội nghị?", "Sở Nội vụ")


def test_which_legal_text_is_not_the_money_it_governs(index: SearchIndex) -> None:
    """«nghị quyết nào quy định … mức chi …» asks for a resolution, not an amount."""
    for question in (
        "Nghị quyết nào của HĐND tỉnh quy định nội dung và mức chi hỗ trợ hệ sinh thái khởi "
        "nghiệp đổi mới sáng tạo?",
        "nghi quyet nao quy dinh muc chi ho tro khoi nghiep",
    ):
        answers(index, question, "295/2020/NQ-HĐND")


def test_a_year_cited_in_a_passage_is_answered(index: SearchIndex) -> None:
    answers(index, "luật thi đua khen thưởng năm 2022", "Luật Thi đua, Khen thưởng năm 2022")


def test_a_heading_alone_gives_way_to_its_items(index: SearchIndex) -> None:
    answer = index.search("muc dich yeu cau cua hoi nghi")
    assert answer.best is not None
    assert answer.best.section.path.startswith("I.") and answer.best.section.path != "I"
