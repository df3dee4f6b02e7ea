"""What changed between two knowledge-base versions: services added, removed and changed (which fields)."""

from __future__ import annotations

import dataclasses

from bot.knowledge.model import KnowledgeBase

IGNORED_FIELDS = {"source_file"}


def changed_fields(old, new) -> list[str]:
    return [f.name for f in dataclasses.fields(old)
            if f.name not in IGNORED_FIELDS and getattr(old, f.name) != getattr(new, f.name)]


@dataclasses.dataclass(frozen=True)
class KnowledgeDiff:
    old_version: str
    new_version: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, tuple[str, ...]], ...]  # (service id, fields)
    offices_changed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.offices_changed)

    def lines(self) -> list[str]:
        lines = [f"Knowledge base {self.old_version} → {self.new_version}"]
        if self.empty:
            return lines + ["No service or office changed."]
        lines += [f"+ added: {sid}" for sid in self.added]
        lines += [f"- removed: {sid}" for sid in self.removed]
        lines += [f"~ changed: {sid} ({', '.join(fields)})" for sid, fields in self.changed]
        lines += [f"~ office changed: {oid}" for oid in self.offices_changed]
        return lines


def diff_knowledge(old: KnowledgeBase, new: KnowledgeBase) -> KnowledgeDiff:
    added = tuple(sorted(new.services.keys() - old.services.keys()))
    removed = tuple(sorted(old.services.keys() - new.services.keys()))
    changed = tuple((sid, tuple(fields)) for sid in sorted(old.services.keys() & new.services.keys())
                    if (fields := changed_fields(old.services[sid], new.services[sid])))
    offices = tuple(sorted(oid for oid in old.offices.keys() | new.offices.keys()
                           if old.offices.get(oid) != new.offices.get(oid)))
    return KnowledgeDiff(old.version, new.version, added, removed, changed, offices)
