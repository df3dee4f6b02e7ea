"""Tailoring a checklist: ask a service's (or life event's) yes/no conditions one at a time.

The state is a small JSON document kept in the ledger (chats.flow), so a conversation survives
a restart of the bot. Nothing here imports telegram.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.knowledge.model import Condition, KnowledgeBase


@dataclass
class Tailoring:
    inquiry_id: int
    target: str  # a service id, or an event id when event is True
    event: bool = False
    answers: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"kind": "tailor", "inquiry": self.inquiry_id, "target": self.target, "event": self.event,
                           "answers": self.answers}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> Tailoring | None:
        try:
            data = json.loads(text or "")
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("kind") != "tailor":
            return None
        return cls(int(data["inquiry"]), data["target"], bool(data["event"]), dict(data["answers"]))


def conditions_of(knowledge: KnowledgeBase, target: str, event: bool,
                  answers: dict[str, bool] | None = None) -> tuple[Condition, ...]:
    """The questions that decide what a citizen needs, in the order they are asked.

    A life event asks its own questions, then those of its services, each condition id once (the
    first service's wording); with answers given, services whose step no longer applies ask nothing."""
    if not event:
        service = knowledge.services.get(target)
        return service.conditions if service else ()
    item = knowledge.events.get(target)
    if item is None:
        return ()
    found = {c.id: c for c in item.conditions}
    for step in item.steps:
        if step.applies(answers or {}) and step.service_id in knowledge.services:
            for condition in knowledge.services[step.service_id].conditions:
                found.setdefault(condition.id, condition)
    return tuple(found.values())


def next_condition(knowledge: KnowledgeBase, state: Tailoring) -> Condition | None:
    return next((c for c in conditions_of(knowledge, state.target, state.event, state.answers)
                 if c.id not in state.answers), None)


def question_count(knowledge: KnowledgeBase, state: Tailoring) -> int:
    """How many questions this tailoring asks in all, given the answers so far (an answer can skip some)."""
    left = conditions_of(knowledge, state.target, state.event, state.answers)
    return len(state.answers) + len([c for c in left if c.id not in state.answers])
