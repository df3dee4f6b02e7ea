"""Quality warnings that need the matcher: example questions that land on another service."""

from __future__ import annotations

from pathlib import Path

from bot.answering.matching import ANSWER, Matcher
from bot.knowledge.loading import build_knowledge
from bot.knowledge.validation import WARNING, Checked, Problem, SourceFile


def quality_warnings(directory: str | Path, checked: Checked, matcher=None) -> list[Problem]:
    """Warnings that need the matcher: example questions that the matcher sends to another service."""
    directory = Path(directory)
    if matcher is None:
        matcher = Matcher(build_knowledge(directory, checked.raw, checked.version))
    problems = []
    for path, data in checked.raw.services:
        source = None
        for i, example in enumerate(data["examples"]):
            decision = matcher.decide(str(example))
            if decision.service_id == data["id"] or (decision.action != ANSWER and data["id"] in decision.options):
                continue
            source = source or SourceFile(path, directory)
            if decision.action == ANSWER:
                outcome = f"is answered with '{decision.service_id}'"
            elif decision.options:
                outcome = f"gets a clarification between {', '.join(decision.options)} without '{data['id']}'"
            else:
                outcome = "is not matched at all (it would go to staff)"
            problems.append(Problem(WARNING, source.name, source.line(("examples", i)), data["id"],
                f"example question {i + 1} of '{data['id']}' ({example!r}) {outcome}; add a more specific alias "
                "to this service or reword the example the way citizens ask."))
    return problems
