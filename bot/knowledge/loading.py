"""Loading a knowledge base: validate first, then build frozen objects.

A knowledge base with errors is never built, so the running bot keeps serving the previous version.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.knowledge.calendar import build_calendar
from bot.knowledge.model import (
    Category,
    Condition,
    District,
    Document,
    DocumentKind,
    Event,
    EventStep,
    Family,
    Fee,
    KnowledgeBase,
    Matter,
    Office,
    Online,
    Question,
    Review,
    Service,
    Source,
    Text,
    TimeLimit,
    TimeLimitChange,
)
from bot.knowledge.validation import check_directory


class KnowledgeError(Exception):
    """The knowledge base has errors and was not loaded"""

    def __init__(self, problems):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        lines = "\n".join(str(p) for p in errors)
        super().__init__(f"The knowledge base has {len(errors)} error(s) and was not loaded:\n{lines}")


def load_knowledge(directory: str | Path, today: dt.date | None = None) -> KnowledgeBase:
    """Validate and load a knowledge base; raise KnowledgeError listing every error."""
    directory = Path(directory)
    checked = check_directory(directory, today=today)
    if checked.errors:
        raise KnowledgeError(checked.problems)
    return build_knowledge(directory, checked.raw, checked.version)


def build_knowledge(directory: Path, raw, version: str) -> KnowledgeBase:
    """Turn validated raw YAML data into a KnowledgeBase."""
    offices = {o["id"]: _office(o) for o in raw.offices}
    offices.update((o["id"], _office(o, district)) for district, o in raw.local_offices)
    categories = {c["id"]: Category(c["id"], Text.parse(c["name"])) for c in raw.categories}
    registry = {d["id"]: _document_kind(d) for d in raw.documents}
    services = {d["id"]: _service(d, path, registry) for path, d in raw.services}
    raw_events = {d["id"]: (path, d) for path, d in raw.events}
    events = {eid: _event(eid, raw_events) for eid in raw_events}
    matters = {m["id"]: _matter(m, path) for path, m in raw.matters}
    districts = {d["id"]: District(d["id"], Text.parse(d["name"]), tuple(str(a) for a in d.get("aliases", ())),
                                   d.get("kind", "district")) for d in raw.districts}
    families = {f["id"]: Family(f["id"], Text.parse(f["name"]), tuple(f["words"]), tuple(f["services"]))
                for f in raw.families}
    local = {(o.type, o.district): o for o in offices.values() if o.type and o.district}
    return KnowledgeBase(directory, version, offices, categories, services, events, matters, districts, families,
                         registry, local, calendar=build_calendar(raw.calendar),
                         questions=tuple(_question(q) for _, q in raw.questions))


def _question(raw: dict) -> Question:
    expect = raw["expect"]
    return Question(raw["q"], tuple(expect) if isinstance(expect, list) else expect)


def _sources(raw: list | None) -> tuple[Source, ...]:
    return tuple(Source(title=s["title"], retrieved=_date(s["retrieved"]), article=s.get("article"), url=s.get("url"),
                        covers=tuple(s.get("covers", ())), note=s.get("note")) for s in raw or ())


def _review(raw: dict | None) -> Review | None:
    if raw is None:
        return None
    return Review(office=raw["office"], reviewed_by=raw["reviewed_by"], reviewed_on=_date(raw["reviewed_on"]),
                  next_review=_date(raw["next_review"]), method=raw["method"], note=raw.get("note"))


def _matter(raw: dict, path: Path) -> Matter:
    online = raw.get("online") or {}
    return Matter(id=raw["id"], name=Text.parse(raw["name"]), aliases=tuple(str(a) for a in raw.get("aliases", ())),
                  office=raw["office"], kind=raw["kind"], sibling=raw.get("sibling"),
                  online=Text.parse({k: v for k, v in online.items() if k in ("zh", "en")}) if online else None,
                  online_url=online.get("url"), source_file=str(path))


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


def _office(raw: dict, district: str | None = None) -> Office:
    return Office(
        id=raw["id"],
        name=Text.parse(raw["name"]),
        level=raw.get("level", "district"),
        address=Text.parse(raw.get("address")),
        hours=Text.parse(raw.get("hours")),
        phone=raw.get("phone"),
        website=raw.get("website"),
        chief_representative=Text.parse(raw.get("chief_representative")),
        by_district=raw.get("by_district", False),
        type=raw.get("type"),
        district=district,
        to_confirm=raw.get("to_confirm", False) or raw.get("address") is None,
        sources=_sources(raw.get("sources")),
        response_hours=raw.get("response_hours"),
    )


def _document_kind(raw: dict) -> DocumentKind:
    return DocumentKind(id=raw["id"], name=Text.parse(raw["name"]), issuer=Text.parse(raw["issuer"]),
                        how_to_get=Text.parse(raw["how_to_get"]), electronic=raw.get("electronic", False),
                        electronic_note=Text.parse(raw.get("electronic_note")))


def _document(raw: dict, registry: dict[str, DocumentKind]) -> Document:
    ids = raw["document"] if isinstance(raw["document"], list) else [raw["document"]]
    return Document(
        kinds=tuple(registry[i] for i in ids),
        whose=Text.parse(raw.get("whose")),
        form=raw["form"],
        copies=raw["copies"],
        own_how_to_get=Text.parse(raw.get("how_to_get")),
        notes=Text.parse(raw.get("notes")),
        condition=raw.get("condition"),
        unless=raw.get("unless"),
        effective_from=_date(raw.get("effective_from")),
        effective_to=_date(raw.get("effective_to")),
    )


def _service(raw: dict, path: Path, registry: dict[str, DocumentKind]) -> Service:
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
        documents=tuple(_document(d, registry) for d in raw["documents"]),
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
        sources=_sources(raw.get("sources")),
        review=_review(raw.get("review")),
        for_foreigners=raw.get("for_foreigners", True),
        for_landlords=raw.get("for_landlords", True),
    )
