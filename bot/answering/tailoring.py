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


def conditions_of(knowledge: KnowledgeBase, target: str, event: bool) -> tuple[Condition, ...]:
    """The questions that decide what a citizen needs, in the order they are asked."""
    item = (knowledge.events if event else knowledge.services).get(target)
    return item.conditions if item else ()


def next_condition(knowledge: KnowledgeBase, state: Tailoring) -> Condition | None:
    return next((c for c in conditions_of(knowledge, state.target, state.event) if c.id not in state.answers), None)
