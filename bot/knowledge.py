"""The knowledge base: offices, categories and services loaded from YAML into frozen objects.

Loading always validates first (bot.validation); a knowledge base with errors is never built,
so the running bot can keep serving the previous version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = ("zh", "en")


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
class Office:
    id: str
    name: Text
    level: str
    address: Text
    hours: Text
    phone: str
    website: str | None = None
    chief_representative: Text | None = None


@dataclass(frozen=True)
class Category:
    id: str
    name: Text


@dataclass(frozen=True)
class Condition:
    id: str
    question: Text


@dataclass(frozen=True)
class Document(Dated):
    name: Text
    form: str
    copies: int
    source: Text
    notes: Text | None
    condition: str | None
    unless: str | None

    def applies(self, answers: dict[str, bool]) -> bool:
        """Whether the document is needed, given the citizen's yes/no answers.

        An unanswered condition counts as "may apply": an untailored list shows everything.
        """
        if self.condition and answers.get(self.condition) is False:
            return False
        if self.unless and answers.get(self.unless) is True:
            return False
        return True


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

    def condition(self, condition_id: str) -> Condition | None:
        return next((c for c in self.conditions if c.id == condition_id), None)


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
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def services_in(self, category_id: str) -> list[Service]:
        return [s for s in self.services.values() if s.category == category_id]

    def offices_of(self, service: Service) -> list[Office]:
        return [self.offices[o] for o in service.offices]


class KnowledgeError(Exception):
    """The knowledge base has errors and was not loaded"""

    def __init__(self, problems):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        lines = "\n".join(str(p) for p in errors)
        super().__init__(f"The knowledge base has {len(errors)} error(s) and was not loaded:\n{lines}")


def knowledge_files(directory: Path) -> list[Path]:
    """Every YAML file that makes up a knowledge base, in a stable order."""
    return (sorted(directory.glob("*.yaml")) + sorted((directory / "services").glob("*.yaml"))
            + sorted((directory / "events").glob("*.yaml")))


def content_version(directory: Path) -> str:
    """A short content hash of every knowledge file: the knowledge-base version recorded with answers."""
    digest = hashlib.sha256()
    for path in knowledge_files(directory):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def load_knowledge(directory: str | Path, today: dt.date | None = None) -> KnowledgeBase:
    """Validate and load a knowledge base; raise KnowledgeError listing every error."""
    from bot.validation import check_directory

    directory = Path(directory)
    checked = check_directory(directory, today=today)
    if checked.errors:
        raise KnowledgeError(checked.problems)
    return build_knowledge(directory, checked.raw, checked.version)


def build_knowledge(directory: Path, raw, version: str) -> KnowledgeBase:
    """Turn validated raw YAML data into a KnowledgeBase."""
    offices = {o["id"]: _office(o) for o in raw.offices}
    categories = {c["id"]: Category(c["id"], Text.parse(c["name"])) for c in raw.categories}
    services = {d["id"]: _service(d, path) for path, d in raw.services}
    raw_events = {d["id"]: (path, d) for path, d in raw.events}
    events = {eid: _event(eid, raw_events) for eid in raw_events}
    return KnowledgeBase(directory, version, offices, categories, services, events)


def _event(event_id: str, raw_events: dict) -> Event:
    path, raw = raw_events[event_id]
    return Event(
        id=event_id,
        name=Text.parse(raw["name"]),
        description=Text.parse(raw.get("description")),
        aliases=tuple(str(a) for a in raw["aliases"]),
        examples=tuple(str(e) for e in raw["examples"]),
        conditions=tuple(_event_conditions(event_id, raw_events).values()),
        steps=tuple(_flatten_steps(raw["steps"], raw_events)),
        updated=_date(raw["updated"]),
        source_file=str(path),
    )


def _event_conditions(event_id: str, raw_events: dict) -> dict[str, Condition]:
    """An event's own conditions, then those of the events it includes (the validator rules out cycles)."""
    raw = raw_events[event_id][1]
    conditions = {k: Condition(k, Text.parse(v)) for k, v in (raw.get("conditions") or {}).items()}
    for step in raw["steps"]:
        if "event" in step:
            for key, condition in _event_conditions(step["event"], raw_events).items():
                conditions.setdefault(key, condition)
    return conditions


def _flatten_steps(steps: list[dict], raw_events: dict, outer: dict | None = None):
    """Steps of nested events are inlined; the validator has ruled out cycles."""
    for step in steps:
        condition = step.get("condition") or (outer or {}).get("condition")
        unless = step.get("unless") or (outer or {}).get("unless")
        if "event" in step:
            yield from _flatten_steps(raw_events[step["event"]][1]["steps"], raw_events,
                                      {"condition": condition, "unless": unless})
        else:
            yield EventStep(step["service"], condition, unless, Text.parse(step.get("note")))


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _office(raw: dict) -> Office:
    return Office(
        id=raw["id"],
        name=Text.parse(raw["name"]),
        level=raw["level"],
        address=Text.parse(raw["address"]),
        hours=Text.parse(raw["hours"]),
        phone=raw["phone"],
        website=raw.get("website"),
        chief_representative=Text.parse(raw.get("chief_representative")),
    )


def _document(raw: dict) -> Document:
    return Document(
        name=Text.parse(raw["name"]),
        form=raw["form"],
        copies=raw["copies"],
        source=Text.parse(raw["source"]),
        notes=Text.parse(raw.get("notes")),
        condition=raw.get("condition"),
        unless=raw.get("unless"),
        effective_from=_date(raw.get("effective_from")),
        effective_to=_date(raw.get("effective_to")),
    )


def _service(raw: dict, path: Path) -> Service:
    limit = raw["time_limit"]
    return Service(
        id=raw["id"],
        name=Text.parse(raw["name"]),
        category=raw["category"],
        level=raw["level"],
        aliases=tuple(str(a) for a in raw["aliases"]),
        examples=tuple(str(e) for e in raw["examples"]),
        excludes=tuple(str(e) for e in raw.get("excludes", ())),
        offices=tuple(raw["offices"]),
        eligibility=Text.parse(raw["eligibility"]),
        conditions=tuple(Condition(k, Text.parse(v)) for k, v in (raw.get("conditions") or {}).items()),
        documents=tuple(_document(d) for d in raw["documents"]),
        steps=tuple(Text.parse(s) for s in raw["steps"]),
        time_limit=TimeLimit(
            legal_days=limit["legal_days"],
            committed_days=limit["committed_days"],
            notes=Text.parse(limit.get("notes")),
            changes=tuple(
                TimeLimitChange(
                    legal_days=c.get("legal_days"),
                    committed_days=c.get("committed_days"),
                    effective_from=_date(c.get("effective_from")),
                    effective_to=_date(c.get("effective_to")),
                )
                for c in limit.get("changes", ())
            ),
        ),
        fees=tuple(
            Fee(
                item=Text.parse(f["item"]),
                amount=Text.parse(f["amount"]),
                effective_from=_date(f.get("effective_from")),
                effective_to=_date(f.get("effective_to")),
            )
            for f in raw["fees"]
        ),
        online=Online(raw["online"]["available"], Text.parse(raw["online"]["channel"]), raw["online"].get("url")),
        legal_basis=tuple(Text.parse(t) for t in raw["legal_basis"]),
        refusal_reasons=tuple(Text.parse(t) for t in raw["refusal"]["reasons"]),
        appeal=Text.parse(raw["refusal"]["appeal"]),
        updated=_date(raw["updated"]),
        source_file=str(path),
    )
