"""Knowledge-base models shared by the parser, the index, the service and the chat."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DocumentMeta(BaseModel):
    """Metadata the office adds to an official document (knowledge/*.toml)."""

    model_config = ConfigDict(frozen=True)

    id: str  # stable slug, e.g. "kh-2025-hoi-nghi-tuyen-duong"
    title: str
    short_title: str  # for citations: "Kế hoạch 2025"
    number: str | None = None  # "87/KH-SKHCN" when the text gives it
    date: str | None = None  # "18/11/2024" when the text gives it
    issuer: str | None = None
    signer: str | None = None
    year: int | None = None
    relations: list[str] = Field(default_factory=list)  # "Thay thế Kế hoạch số 87/KH-SKHCN ..."
    source: str | None = None  # file it was imported from


class SectionRecord(BaseModel):
    """One citable section of a document, as stored and indexed."""

    model_config = ConfigDict(frozen=True)

    id: int  # database id (unique across documents)
    document_id: str
    ordinal: int  # position in the document
    kind: str  # title | preamble | part | item | closing | note | recipients | signature
    path: str  # "II.2.c" ("" for preamble, closing, note, recipients, signature)
    heading: str
    text: str  # word for word
    parents: list[str] = Field(default_factory=list)


class Hit(BaseModel):
    model_config = ConfigDict(frozen=True)

    section: SectionRecord
    document: DocumentMeta
    score: float  # 0..1, comparable across questions

    @property
    def citation(self) -> str:
        """ "Kế hoạch 2025 › II.2.c Số lượng"."""
        label = f"{self.section.path} {self.section.heading}".strip()
        return f"{self.document.short_title} › {label}"


class FaqEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    question: str
    answer: str
    source: str  # free text citation, e.g. "Văn phòng Sở, 21/11/2026"


class Answer(BaseModel):
    """What the knowledge base says to a question."""

    question: str
    abstained: bool
    best: Hit | None = None
    also: list[Hit] = Field(default_factory=list)  # the other plan's answer when both differ
    alternatives: list[Hit] = Field(default_factory=list)  # next best sections ("xem thêm")
    faq: FaqEntry | None = None  # a curated entry matched first
    reason: str | None = None  # why it abstained (for logs and the office)
