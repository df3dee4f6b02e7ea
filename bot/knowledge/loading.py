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
    Document,
    Event,
    EventStep,
    Fee,
    KnowledgeBase,
    Office,
    Online,
    Service,
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
    categories = {c["id"]: Category(c["id"], Text.parse(c["name"])) for c in raw.categories}
    services = {d["id"]: _service(d, path) for path, d in raw.services}
    raw_events = {d["id"]: (path, d) for path, d in raw.events}
    events = {eid: _event(eid, raw_events) for eid in raw_events}
    return KnowledgeBase(directory, version, offices, categories, services, events,
                         calendar=build_calendar(raw.calendar))


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
        response_hours=raw.get("response_hours"),
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
