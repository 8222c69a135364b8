"""The knowledge base as a service: documents, search, curated answers, feedback and questions
passed to the office. Plain async Python over ``storage.knowledge`` (no Telegram).

INTERFACE CONTRACT: the chat handlers and the CLI use exactly these names.

The search index (``bot.kb.search.SearchIndex``) lives in memory: it is built once (in
:meth:`KnowledgeService.ensure_seeded`, or at the first question) and rebuilt after every import
or removal, so a new document is searchable at once, without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tomllib
from datetime import UTC, datetime, tzinfo
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePath
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.domain.text import clean, fold
from bot.kb.followup import follow_up
from bot.kb.models import Answer, DocumentMeta, FaqEntry, Hit, SectionRecord
from bot.kb.readers import (
    MAX_FILE_BYTES,
    MAX_UPLOAD_BYTES,
    SUPPORTED,
    KnowledgeError,
    extension,
    extract_text,
    is_wrapped,
)
from bot.kb.search import Lexicon, SearchIndex
from bot.kb.segment import ParsedDocument, segment
from storage import Database
from storage import flows as flow_sql
from storage import knowledge as kb_sql

__all__ = [
    "FAQ_LIMITS",
    "MAX_UPLOAD_BYTES",
    "SUPPORTED",
    "KnowledgeError",
    "KnowledgeService",
    "OfficeQuestion",
    "TooLongForFaq",
    "derive_meta",
    "slugify",
]

log = logging.getLogger(__name__)

# Characters of a curated entry's parts: its answer is shown whole, in one message.
FAQ_LIMITS = {"question": 500, "answer": 3000, "source": 200}
FAQ_MIN_SCORE = 88  # rapidfuzz token_set_ratio on folded forms
FAQ_MIN_TOKEN_SHARE = 0.6  # the shorter question holds at least this share of the longer one's
FAQ_MIN_CORE_SHARE = 0.75  # without the setting's words: each question's share in the other
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_NUMBER = re.compile(r"\bSố\s*:\s*(\d[\w/.-]*)", re.IGNORECASE)
_DATE = re.compile(r",\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
# Kinds of administrative documents, for short titles ("Kế hoạch 2025").
_DOCUMENT_KINDS = (
    "kế hoạch",
    "quyết định",
    "thông báo",
    "hướng dẫn",
    "công văn",
    "quy chế",
    "quy định",
    "báo cáo",
    "chỉ thị",
    "nghị quyết",
    "thông tư",
    "nghị định",
    "luật",
    "chương trình",
    "tờ trình",
    "đề án",
)


class OfficeQuestion(BaseModel):
    """A question the bot could not answer, passed to the office."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int  # who asked
    chat_id: int  # where to relay the answer
    question: str
    asked_at: datetime
    answer: str | None = None
    answered_by: int | None = None
    answered_at: datetime | None = None
    faq_id: int | None = None  # set once the office saved the answer as a curated entry


# --- metadata ----------------------------------------------------------------------------------


def slugify(name: str) -> str:
    """``"Kế hoạch 2025 (bản cuối).docx"`` -> ``"ke-hoach-2025-ban-cuoi-docx"``; the stem is
    what callers pass."""
    slug = "-".join(fold(name).split())[:80].strip("-")
    return slug or "document"


def _short_title(title: str, year: int | None) -> str:
    title = clean(title)
    lowered = title.lower()
    kind = next((k for k in _DOCUMENT_KINDS if lowered.startswith(k)), None)
    if kind is not None and year is not None:
        return f"{kind[:1].upper()}{kind[1:]} {year}"
    words = title.split()
    if len(words) <= 5:
        return title
    return " ".join(words[:5]).rstrip(",;:.") + "…"


def _year_of(title: str) -> int | None:
    years = [int(y) for y in _YEAR.findall(title)]
    return max(years) if years else None


def _title_from_header(raw: str) -> str | None:
    """The title without the header block that precedes it in a full document ("SỞ KHOA HỌC VÀ
    CÔNG NGHỆ ... Số: 87/KH-SKHCN ... KẾ HOẠCH Tổ chức ...": from "KẾ HOẠCH" on), title-cased."""
    starts = [(raw.find(kind.upper()), kind) for kind in _DOCUMENT_KINDS if kind.upper() in raw]
    if not starts:
        return None
    start, kind = min(starts)
    rest = raw[start + len(kind) :].strip()
    letters = [ch for ch in rest if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters):
        rest = rest.lower()
    return f"{kind[:1].upper()}{kind[1:]} {rest}".strip()


def derive_meta(filename: str, parsed: ParsedDocument) -> DocumentMeta:
    """Metadata for a file imported without its ``.toml``: the id from the file name, the title
    from the text (header block left out, title-cased), its number and date when the header gives
    them ("Số: 87/KH-SKHCN", "ngày 18 tháng 11 năm 2024"), a short title for citations."""
    stem = PurePath(filename).stem
    raw = clean(parsed.title)
    title_section = next((s for s in parsed.sections if s.kind == "title"), None)
    title = (
        _title_from_header(raw)
        or clean(title_section.heading if title_section else raw)
        or clean(stem)
    )
    number = _NUMBER.search(raw)
    date = _DATE.search(raw)
    year = int(date.group(3)) if date else _year_of(title)
    return DocumentMeta(
        id=slugify(stem),
        title=title,
        short_title=_short_title(title, year),
        number=number.group(1) if number else None,
        date=f"{int(date.group(1)):02d}/{int(date.group(2)):02d}/{date.group(3)}" if date else None,
        year=year,
        source=PurePath(filename).name,
    )


def _read_meta(text: str, origin: str) -> DocumentMeta:
    try:
        return DocumentMeta.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        detail = str(exc).splitlines()[0]
        raise KnowledgeError("unreadable", f"{origin}: bad metadata ({detail})") from exc


def _section_dicts(parsed: ParsedDocument) -> list[dict[str, Any]]:
    return [
        {
            "kind": s.kind,
            "path": s.path,
            "heading": s.heading,
            "text": s.text,
            "parents": list(s.parents),
        }
        for s in parsed.sections
    ]


def _parse(filename: str, data: bytes, limit: int) -> ParsedDocument:
    parsed = segment(extract_text(filename, data, limit=limit), wrapped=is_wrapped(filename))
    if not any(s.text.strip() for s in parsed.sections):
        raise KnowledgeError("empty", f"{filename}: no text found")
    return parsed


def _question(row: dict[str, Any]) -> OfficeQuestion:
    return OfficeQuestion.model_validate(row)


class _FaqForm(NamedTuple):
    """A curated entry with the forms of its question that matching compares."""

    entry: FaqEntry
    folded: str
    words: int  # how many words ``folded`` has
    core: frozenset[str]  # content words, without the setting's (see :func:`faq_core`)
    asks: str | None  # what kind of answer it wants (a place, a date...)


def faq_core(lexicon: Lexicon, question: str) -> tuple[frozenset[str], str | None]:
    """The words of ``question`` that say what it is about: in the documents' form, without
    function words, the words that ask («ở đâu») and those of the bot's setting («hội nghị»,
    «đại biểu»); and what kind of answer it wants."""
    asks, asking = SearchIndex.asks_of(fold(question))
    form, _ = lexicon.question_form(question)
    left_out = lexicon.stopwords | lexicon.english_stopwords | asking
    return frozenset(w for w in lexicon.without_setting(form).split() if w not in left_out), asks


def _covered(words: frozenset[str], other: frozenset[str]) -> float:
    """The share of ``words`` found in ``other`` (one slip allowed in a word of 4 letters+)."""
    found = sum(
        1
        for w in words
        if w in other
        or (len(w) >= 4 and any(OSA.distance(w, o, score_cutoff=1) <= 1 for o in other))
    )
    return found / len(words)


def _faq(row: dict[str, Any]) -> FaqEntry:
    return FaqEntry(
        id=row["id"], question=row["question"], answer=row["answer"], source=row["source"]
    )


# --- the service -------------------------------------------------------------------------------


class TooLongForFaq(ValueError):
    """The office's answer is longer than a curated entry's answer may be."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"an answer of more than {limit} characters")
        self.limit = limit


class KnowledgeService:
    """Documents, search, curated answers, feedback and office questions over one database.

    ``knowledge_dir``: the shipped documents (default: the ``knowledge`` package); ``tz``: the
    time zone of dates written into curated entries' sources.
    """

    def __init__(
        self,
        db: Database,
        *,
        knowledge_dir: Path | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        self.db = db
        self.knowledge_dir = knowledge_dir
        self.tz = tz or UTC
        self._lexicon: Lexicon | None = None
        self._index: SearchIndex | None = None
        self._faq: list[_FaqForm] | None = None
        self._index_lock = asyncio.Lock()

    # --- documents -----------------------------------------------------------------------------

    def _shipped(self) -> list[tuple[Traversable, Traversable | None]]:
        """The shipped documents, each with its ``.toml`` metadata file if there is one."""
        root: Traversable = (
            self.knowledge_dir if self.knowledge_dir is not None else resources.files("knowledge")
        )
        found = []
        for entry in sorted(root.iterdir(), key=lambda e: e.name):
            name = PurePath(entry.name)
            if not entry.is_file() or name.suffix.lower() not in SUPPORTED:
                continue
            if name.name.lower() == "readme.md":
                continue
            meta_file = root.joinpath(f"{name.stem}.toml")
            found.append((entry, meta_file if meta_file.is_file() else None))
        return found

    async def seed_if_empty(self) -> list[DocumentMeta]:
        """Import the shipped documents if the database holds none (in one transaction, so two
        processes starting on a fresh database do not both import). Returns what was imported."""
        async with self.db.read() as conn:
            if await kb_sql.count_documents(conn) > 0:
                return []
        prepared: list[tuple[DocumentMeta, list[dict[str, Any]]]] = []
        for entry, meta_file in self._shipped():
            meta = _read_meta(meta_file.read_text("utf-8"), meta_file.name) if meta_file else None
            parsed = _parse(entry.name, entry.read_bytes(), MAX_FILE_BYTES)
            meta = self._complete_meta(entry.name, parsed, meta)
            prepared.append((meta, _section_dicts(parsed)))
        async with self.db.transaction() as conn:
            if await kb_sql.count_documents(conn) > 0:
                return []
            for meta, sections in prepared:
                await kb_sql.replace_document(conn, meta.id, meta.model_dump(mode="json"), sections)
        if prepared:
            log.info("knowledge base seeded with %d documents", len(prepared))
        return [meta for meta, _ in prepared]

    async def ensure_seeded(self) -> None:
        """On a fresh database, import the documents shipped in ``knowledge/``; then load the
        index into memory (once)."""
        await self.seed_if_empty()
        if self._index is None:
            await self.rebuild_index()
        if self._faq is None:
            await self._load_faq()

    @staticmethod
    def _complete_meta(
        filename: str, parsed: ParsedDocument, meta: DocumentMeta | None
    ) -> DocumentMeta:
        if meta is None:
            return derive_meta(filename, parsed)
        if meta.source is None:
            return meta.model_copy(update={"source": PurePath(filename).name})
        return meta

    async def _unique_short_title(self, meta: DocumentMeta) -> DocumentMeta:
        """Two documents cited alike would be confusing: number a derived short title that
        another document already uses ("Kế hoạch 2025 (2)")."""
        taken = {d.short_title for d in await self.documents() if d.id != meta.id}
        if meta.short_title not in taken:
            return meta
        n = 2
        while f"{meta.short_title} ({n})" in taken:
            n += 1
        return meta.model_copy(update={"short_title": f"{meta.short_title} ({n})"})

    async def _store(
        self, filename: str, data: bytes, meta: DocumentMeta | None, limit: int
    ) -> DocumentMeta:
        parsed = _parse(filename, data, limit)
        derived = meta is None
        meta = self._complete_meta(filename, parsed, meta)
        if derived:
            meta = await self._unique_short_title(meta)
        async with self.db.transaction() as conn:
            await kb_sql.replace_document(
                conn, meta.id, meta.model_dump(mode="json"), _section_dicts(parsed)
            )
        log.info("imported %s as %s (%d sections)", filename, meta.id, len(parsed.sections))
        await self._refresh_index()
        return meta

    async def import_file(self, path: Path, *, meta: DocumentMeta | None = None) -> DocumentMeta:
        """Import a .txt, .md, .docx or .pdf (in one transaction: nothing half-imported) and
        make it searchable at once. Raises :class:`KnowledgeError`.

        Without ``meta``, a ``.toml`` next to the file (same name) is used if there is one,
        else the metadata is derived from the file name and the text."""
        path = Path(path)
        extension(path.name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KnowledgeError("unreadable", f"{path}: {exc.strerror or exc}") from exc
        if meta is None:
            meta_file = path.with_suffix(".toml")
            if meta_file.is_file():
                meta = _read_meta(meta_file.read_text(encoding="utf-8"), str(meta_file))
        return await self._store(path.name, data, meta, MAX_FILE_BYTES)

    async def import_bytes(self, filename: str, data: bytes) -> DocumentMeta:
        """Same for a file sent to the bot (size checked: ``MAX_UPLOAD_BYTES``)."""
        return await self._store(PurePath(filename).name, data, None, MAX_UPLOAD_BYTES)

    async def documents(self) -> list[DocumentMeta]:
        async with self.db.read() as conn:
            rows = await kb_sql.documents(conn)
        return [DocumentMeta.model_validate(r["meta"]) for r in rows]

    async def section_counts(self) -> dict[str, int]:
        """Number of sections of every document, by id."""
        async with self.db.read() as conn:
            rows = await kb_sql.documents(conn)
        return {str(r["id"]): int(r["sections"]) for r in rows}

    async def sections(self, document_id: str | None = None) -> list[SectionRecord]:
        async with self.db.read() as conn:
            rows = await kb_sql.sections(conn, document_id)
        return [SectionRecord.model_validate(r) for r in rows]

    async def remove(self, document_id: str) -> bool:
        async with self.db.transaction() as conn:
            removed = await kb_sql.delete_document(conn, document_id)
        if removed:
            log.info("removed document %s", document_id)
            await self._refresh_index()
        return removed

    # --- search --------------------------------------------------------------------------------

    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            from bot.kb.search import Lexicon

            self._lexicon = Lexicon.load()
        return self._lexicon

    async def rebuild_index(self) -> SearchIndex:
        """Read every document and section and build the in-memory index (replacing the old
        one when done)."""
        from bot.kb.search import SearchIndex

        async with self._index_lock:
            documents = await self.documents()
            sections = await self.sections()
            index = SearchIndex(documents, sections, self.lexicon())
            self._index = index
        return index

    async def _refresh_index(self) -> None:
        """After an import or a removal: rebuild the index if one is loaded (else the first
        question builds it)."""
        if self._index is not None:
            await self.rebuild_index()

    async def index(self) -> SearchIndex:
        """The loaded index (built now if it is not yet)."""
        if self._index is None:
            return await self.rebuild_index()
        return self._index

    async def section(self, section_id: int) -> Hit | None:
        """A section of the current documents by id (``None`` once re-imported or removed)."""
        return (await self.index()).hit(section_id)

    async def ask(
        self, question: str, previous: str | None = None, previous_section: int | None = None
    ) -> Answer:
        """Curated entries first, then the documents. When they say nothing and the question
        leans on the ``previous`` one («còn năm 2025 thì sao?»), both are read together; that
        answer counts only if it is another section than the ``previous_section`` shown."""
        entry = await self.match_faq(question)
        if entry is not None:
            return Answer(question=question, abstained=False, faq=entry)
        index = await self.index()
        answer = index.search(question)
        combined = follow_up(previous, question) if answer.abstained and previous else None
        if combined is not None:
            again = index.search(combined)
            found = again.best
            if not again.abstained and found is not None and found.section.id != previous_section:
                return again
        return answer

    # --- curated entries -----------------------------------------------------------------------

    async def _load_faq(self) -> list[_FaqForm]:
        async with self.db.read() as conn:
            rows = await kb_sql.faq_entries(conn)
        lexicon = self.lexicon()
        entries = []
        for row in rows:
            folded = fold(row["question"])
            core, asks = faq_core(lexicon, row["question"])
            entries.append(_FaqForm(_faq(row), folded, len(folded.split()), core, asks))
        self._faq = entries
        return entries

    async def match_faq(self, question: str) -> FaqEntry | None:
        """The curated entry whose question is the same as this one, typed differently
        (accents, case, word order, a typo), or said shorter: without the words of the
        setting («gửi xe ở đâu» for «Đại biểu dự hội nghị gửi xe ở đâu?»), or ``None``."""
        entries = self._faq if self._faq is not None else await self._load_faq()
        folded = fold(question)
        if not folded or not entries:
            return None
        count = len(folded.split())
        best: tuple[float, FaqEntry] | None = None
        for form in entries:
            share = min(count, form.words) / max(count, form.words, 1)
            if share < FAQ_MIN_TOKEN_SHARE:
                continue  # "hội nghị" is not the same question as "hội nghị tổ chức ở đâu"
            score = fuzz.token_set_ratio(folded, form.folded)
            if score >= FAQ_MIN_SCORE and (best is None or score > best[0]):
                best = (score, form.entry)
        if best is not None:
            return best[1]
        return self._match_core(question, entries)

    def _match_core(self, question: str, entries: list[_FaqForm]) -> FaqEntry | None:
        """The entry whose content words are the question's, both ways (a typo allowed in a
        long word), leaving out the words of the setting and of the question itself; a
        question that asks where is not one that asks when."""
        core, asks = faq_core(self.lexicon(), question)
        if not core:
            return None  # «hội nghị», «cho hỏi»: nothing but the setting
        best: tuple[float, FaqEntry] | None = None
        for form in entries:
            if not form.core or (asks is not None and asks != form.asks):
                continue
            cover = min(_covered(form.core, core), _covered(core, form.core))
            if cover >= FAQ_MIN_CORE_SHARE and (best is None or cover > best[0]):
                best = (cover, form.entry)
        return best[1] if best else None

    async def add_faq(
        self,
        question: str,
        answer: str,
        source: str,
        author_id: int,
        *,
        update_id: int | None = None,
    ) -> FaqEntry:
        """``update_id``: the update that asked for it, recorded in the same transaction, so
        that one delivered again after a crash adds nothing twice (see ``bot.services.flows``)."""
        question, answer, source = clean(question), answer.strip(), clean(source)
        if not question or not answer:
            raise ValueError("a curated entry needs a question and an answer")
        given = {"question": question, "answer": answer, "source": source}
        if any(len(given[part]) > limit for part, limit in FAQ_LIMITS.items()):
            raise ValueError(f"a curated entry's parts are at most {FAQ_LIMITS} characters")
        async with self.db.transaction() as conn:
            await _record(conn, update_id)
            faq_id = await kb_sql.add_faq(conn, question, answer, source, author_id)
        await self._load_faq()
        return FaqEntry(id=faq_id, question=question, answer=answer, source=source)

    async def faq_entries(self) -> list[FaqEntry]:
        return [form.entry for form in await self._load_faq()]

    async def remove_faq(self, faq_id: int) -> bool:
        async with self.db.transaction() as conn:
            removed = await kb_sql.delete_faq(conn, faq_id)
        await self._load_faq()
        return removed

    # --- feedback ------------------------------------------------------------------------------

    async def feedback(
        self,
        user_id: int,
        question: str,
        section_id: int | None,
        helpful: bool,
        *,
        update_id: int | None = None,
    ) -> None:
        """👍/👎 on an answer, stored for the office."""
        async with self.db.transaction() as conn:
            await _record(conn, update_id)
            await kb_sql.add_feedback(conn, user_id, question, section_id, helpful)

    async def recent_feedback(self, limit: int = 100) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            return await kb_sql.feedback(conn, limit)

    # --- questions passed to the office --------------------------------------------------------

    async def submit_question(
        self, user_id: int, chat_id: int, question: str, *, update_id: int | None = None
    ) -> OfficeQuestion:
        async with self.db.transaction() as conn:
            await _record(conn, update_id)
            row = await kb_sql.add_question(conn, user_id, chat_id, question)
        return _question(row)

    async def question(self, question_id: int) -> OfficeQuestion | None:
        async with self.db.read() as conn:
            row = await kb_sql.get_question(conn, question_id)
        return _question(row) if row else None

    async def link_office_message(self, question_id: int, chat_id: int, message_id: int) -> None:
        """Remember the office-chat message that carries the question (for replies to it).
        Call once per message when the question goes to several chats (each admin)."""
        async with self.db.transaction() as conn:
            await kb_sql.link_message(conn, question_id, chat_id, message_id)

    async def question_for_office_message(
        self, chat_id: int, message_id: int
    ) -> OfficeQuestion | None:
        async with self.db.read() as conn:
            row = await kb_sql.question_for_message(conn, chat_id, message_id)
        return _question(row) if row else None

    async def answer_question(
        self, question_id: int, answered_by: int, answer: str
    ) -> OfficeQuestion | None:
        """Record the office's answer (first answer wins; ``None`` if unknown).

        Returns the question as stored: compare ``answered_by``/``answer`` to tell whether this
        answer was the one recorded (the answer is stored exactly as given)."""
        async with self.db.transaction() as conn:
            await kb_sql.answer_question(conn, question_id, answered_by, answer)
            row = await kb_sql.get_question(conn, question_id)
        return _question(row) if row else None

    async def add_to_answer(
        self, question_id: int, text: str, *, update_id: int | None = None
    ) -> OfficeQuestion | None:
        """Add the office's supplement to an answered question (kept after the answer; the
        caller relays it). ``None`` if unknown or not answered yet. ``update_id``: recorded in
        the same transaction, so that an update delivered again adds nothing twice."""
        async with self.db.transaction() as conn:
            await _record(conn, update_id)
            if not await kb_sql.add_to_answer(conn, question_id, text):
                return None
            row = await kb_sql.get_question(conn, question_id)
        return _question(row) if row else None

    async def unanswered(self, limit: int = 20) -> list[OfficeQuestion]:
        async with self.db.read() as conn:
            rows = await kb_sql.unanswered(conn, limit)
        return [_question(r) for r in rows]

    async def save_answer_as_faq(self, question_id: int, author_id: int) -> FaqEntry | None:
        """Turn an answered question into a curated entry (once: a second call returns the same
        entry); ``None`` if the question is unknown or not answered yet; :class:`TooLongForFaq`
        if the answer is longer than an entry's (one message, see ``FAQ_LIMITS``)."""
        async with self.db.transaction() as conn:
            row = await kb_sql.get_question(conn, question_id)
            if row is None or row["answer"] is None:
                return None
            if len(row["answer"]) > FAQ_LIMITS["answer"]:
                raise TooLongForFaq(FAQ_LIMITS["answer"])
            if row["faq_id"] is not None:
                existing = await kb_sql.get_faq(conn, row["faq_id"])
                if existing is not None:
                    return _faq(existing)
            answered = datetime.fromisoformat(row["answered_at"]).astimezone(self.tz)
            source = f"Văn phòng Sở, {answered:%d/%m/%Y}"
            faq_id = await kb_sql.add_faq(
                conn, clean(row["question"]), row["answer"], source, author_id
            )
            await kb_sql.set_question_faq(conn, question_id, faq_id)
            entry_row = await kb_sql.get_faq(conn, faq_id)
        assert entry_row is not None
        await self._load_faq()
        return _faq(entry_row)


async def _record(conn: Any, update_id: int | None) -> None:
    """Record the update in the transaction of its effect (raises DuplicateUpdateError, and the
    transaction rolls back, if it was applied before)."""
    if update_id is not None:
        await flow_sql.mark_processed(conn, update_id)
