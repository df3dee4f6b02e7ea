"""The knowledge base as frozen objects: services, offices, categories, life events.

Built by bot.knowledge.loading from validated YAML; nothing here reads files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.calendar import LocalCalendar

LANGUAGES = ("zh", "en")
# How a catalogue matter is named where services are (families' members, scores, options): "matter:<id>".
MATTER_PREFIX = "matter:"


@dataclass(frozen=True)
class Text:
    """A text in Chinese, usually with an English translation."""

    zh: str
    en: str | None = None

    def get(self, language: str) -> str:
        # Chinese is the authoritative text; English falls back to it when missing.
        return self.en if language == "en" and self.en else self.zh

    @classmethod
    def parse(cls, raw: dict | None) -> Text | None:
        return None if raw is None else cls(zh=raw["zh"], en=raw.get("en"))


@dataclass(frozen=True)
class Dated:
    """Mixin for values that are in force only between two dates (both inclusive, both optional)."""

    effective_from: dt.date | None
    effective_to: dt.date | None

    def in_force(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def scheduled_after(self, day: dt.date) -> bool:
        return self.effective_from is not None and self.effective_from > day


@dataclass(frozen=True)
class Source:
    """Where facts come from: a law and its article, or an official page."""

    title: str
    retrieved: dt.date
    article: str | None = None
    url: str | None = None
    covers: tuple[str, ...] = ()  # fact groups it supports; empty = the whole entry
    note: str | None = None


@dataclass(frozen=True)
class Review:
    """Who checked an entry, when, and how; the checklist says so in its last line."""

    office: str
    reviewed_by: str
    reviewed_on: dt.date
    next_review: dt.date
    method: str  # office_sign_off | text_check | unverified
    note: str | None = None

    def overdue(self, today: dt.date) -> bool:
        return self.next_review < today


SIGNED_OFF, TEXT_CHECK, UNVERIFIED = "office_sign_off", "text_check", "unverified"


@dataclass(frozen=True)
class District:
    id: str
    name: Text
    aliases: tuple[str, ...]
    kind: str  # district | development_zone


@dataclass(frozen=True)
class Office:
    """A place to go, or an office TYPE ("the district marriage registry") that resolves per district."""

    id: str
    name: Text
    level: str
    address: Text | None  # None: no source gives it yet (to_confirm)
    hours: Text | None
    phone: str | None
    website: str | None = None
    chief_representative: Text | None = None
    by_district: bool = False  # a type: the concrete office depends on the citizen's district
    type: str | None = None  # the type this concrete office is one of
    district: str | None = None
    to_confirm: bool = False  # address or hours not yet confirmed from a reliable source
    sources: tuple[Source, ...] = ()
    response_hours: float | None = None  # business hours to answer a case about its services (CASE_DEFAULT_HOURS)


@dataclass(frozen=True)
class Category:
    id: str
    name: Text


@dataclass(frozen=True)
class Condition:
    id: str
    question: Text


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document in the registry (documents.yaml): what it is, who issues it, how to get it."""

    id: str
    name: Text
    issuer: Text
    how_to_get: Text
    electronic: bool = False  # 电子证照: offices can generally fetch it electronically
    electronic_note: Text | None = None


@dataclass(frozen=True)
class Document(Dated):
    """A service's requirement of a registry document: whose, original or copy, how many, when."""

    kinds: tuple[DocumentKind, ...]  # any one of them will do
    form: str
    copies: int
    whose: Text | None = None
    own_how_to_get: Text | None = None  # this service's way to get it, when it differs from the registry's
    notes: Text | None = None
    condition: str | None = None
    unless: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        """What a bundle merges by: the same registry documents are one item for the citizen."""
        return tuple(kind.id for kind in self.kinds)

    @property
    def name(self) -> Text:
        zh = "或".join(kind.name.zh for kind in self.kinds)
        en = " or ".join(kind.name.get("en") for kind in self.kinds)
        if self.whose:
            return Text(self.whose.zh + zh, f"{en} ({self.whose.get('en')})")
        return Text(zh, en)

    @property
    def source(self) -> Text:
        if self.own_how_to_get:
            return self.own_how_to_get
        if len(self.kinds) == 1:
            return self.kinds[0].how_to_get
        return Text("；".join(f"{k.name.zh}：{k.how_to_get.zh}" for k in self.kinds),
                    "; ".join(f"{k.name.get('en')}: {k.how_to_get.get('en')}" for k in self.kinds))

    @property
    def electronic_note(self) -> Text | None:
        """What the citizen may do instead of bringing it, when every kind accepted is an electronic licence."""
        if self.kinds and all(kind.electronic for kind in self.kinds):
            return next((kind.electronic_note for kind in self.kinds if kind.electronic_note), None)
        return None

    def applies(self, answers: dict[str, bool]) -> bool:
        """Whether the document is needed, given the citizen's yes/no answers.

        An unanswered condition counts as "may apply": an untailored list shows everything.
        """
        if self.condition and answers.get(self.condition) is False:
            return False
        return not (self.unless and answers.get(self.unless) is True)


@dataclass(frozen=True)
class Fee(Dated):
    item: Text
    amount: Text


@dataclass(frozen=True)
class TimeLimitChange(Dated):
    legal_days: int | None
    committed_days: int | None


@dataclass(frozen=True)
class TimeLimit:
    legal_days: int
    committed_days: int
    notes: Text | None
    changes: tuple[TimeLimitChange, ...] = ()

    def on(self, day: dt.date) -> TimeLimit:
        """The limits in force on a day, after applying dated changes."""
        legal, committed = self.legal_days, self.committed_days
        for change in self.changes:
            if change.in_force(day):
                legal = change.legal_days if change.legal_days is not None else legal
                committed = change.committed_days if change.committed_days is not None else committed
        return TimeLimit(legal, committed, self.notes)


@dataclass(frozen=True)
class Online:
    available: bool
    channel: Text
    url: str | None


@dataclass(frozen=True)
class Service:
    id: str
    name: Text
    category: str
    level: str
    aliases: tuple[str, ...]
    examples: tuple[str, ...]
    excludes: tuple[str, ...]
    offices: tuple[str, ...]
    eligibility: Text
    conditions: tuple[Condition, ...]
    documents: tuple[Document, ...]
    steps: tuple[Text, ...]
    time_limit: TimeLimit
    fees: tuple[Fee, ...]
    online: Online
    legal_basis: tuple[Text, ...]
    refusal_reasons: tuple[Text, ...]
    appeal: Text
    updated: dt.date
    source_file: str
    sources: tuple[Source, ...] = ()
    review: Review | None = None
    for_foreigners: bool = True  # False: only Chinese citizens can apply (passport, ID card, 居住证)
    for_landlords: bool = True  # False: a tenant's service (居住证, school enrolment), never a landlord's

    def condition(self, condition_id: str) -> Condition | None:
        return next((c for c in self.conditions if c.id == condition_id), None)

    @property
    def owner_office(self) -> str:
        """The office that answers for the entry: the one that reviews it, else the lead office."""
        return self.review.office if self.review else self.offices[0]


@dataclass(frozen=True)
class Matter:
    """A matter of the city's catalogue (政务服务事项清单) with no full checklist here yet: who handles it."""

    id: str
    name: Text
    aliases: tuple[str, ...]
    office: str
    kind: str
    sibling: str | None = None  # one of our services a citizen could confuse it with
    online: Text | None = None
    online_url: str | None = None
    source_file: str = ""


@dataclass(frozen=True)
class Question:
    """A question as a citizen wrote it, labelled with the service it asks about (knowledge/questions/)."""

    text: str
    expect: str | tuple[str, ...] | None  # a service id; None: not a service here; several: to be clarified

    @property
    def label(self) -> str | None:
        """The one service the question asks about, "" for none here, None when it should be clarified."""
        return None if isinstance(self.expect, tuple) else self.expect or ""


@dataclass(frozen=True)
class Family:
    """Services citizens name by one word (身份证, 公积金): a question saying no more gets a choice."""

    id: str
    name: Text
    words: tuple[str, ...]
    services: tuple[str, ...]


@dataclass(frozen=True)
class EventStep:
    service_id: str
    condition: str | None = None
    unless: str | None = None
    note: Text | None = None

    def applies(self, answers: dict[str, bool]) -> bool:
        if self.condition and answers.get(self.condition) is False:
            return False
        return not (self.unless and answers.get(self.unless) is True)


@dataclass(frozen=True)
class Event:
    """A life event (高效办成一件事): several services in order, answered as one merged checklist."""

    id: str
    name: Text
    description: Text | None
    aliases: tuple[str, ...]
    examples: tuple[str, ...]
    conditions: tuple[Condition, ...]
    steps: tuple[EventStep, ...]  # nested events already flattened
    updated: dt.date
    source_file: str

    @property
    def service_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.service_id for step in self.steps))

    def condition(self, condition_id: str) -> Condition | None:
        return next((c for c in self.conditions if c.id == condition_id), None)


@dataclass(frozen=True)
class KnowledgeBase:
    """One immutable version of the knowledge base. Swapping versions is a single assignment."""

    directory: Path
    version: str
    offices: dict[str, Office]
    categories: dict[str, Category]
    services: dict[str, Service]
    events: dict[str, Event] = field(default_factory=dict)
    matters: dict[str, Matter] = field(default_factory=dict)
    districts: dict[str, District] = field(default_factory=dict)
    families: dict[str, Family] = field(default_factory=dict)
    documents: dict[str, DocumentKind] = field(default_factory=dict)
    local_offices: dict[tuple[str, str], Office] = field(default_factory=dict)  # (type, district) -> office
    calendar: LocalCalendar = field(default_factory=LocalCalendar)  # calendar.yaml
    questions: tuple[Question, ...] = ()  # questions/*.yaml

    def services_in(self, category_id: str) -> list[Service]:
        return [s for s in self.services.values() if s.category == category_id]

    def offices_of(self, service: Service) -> list[Office]:
        return [self.offices[o] for o in service.offices]

    def local_office(self, office_type: str, district: str | None) -> Office | None:
        """The concrete office of a type in a district ("洪山区婚姻登记处"), if the knowledge base has one."""
        return self.local_offices.get((office_type, district)) if district else None
