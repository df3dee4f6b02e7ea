"""Score the matcher on a YAML set of test questions (used by `eval`, the tests and the benchmark)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.answering.matching import ANSWER, CLARIFY, Matcher
from bot.answering.text import compact, is_cjk, normalize


@dataclass(frozen=True)
class Case:
    q: str
    expect: str | tuple[str, ...] | None

    @property
    def short(self) -> bool:
        """One or two words: up to four Chinese characters, or up to two English words."""
        text = normalize(self.q)
        return len(compact(text)) <= 4 if is_cjk(text) else len(text.split()) <= 2

    @property
    def kind(self) -> str:
        if self.expect is None:
            return "out_of_scope"
        return "ambiguous" if isinstance(self.expect, tuple) else "answerable"


def load_cases(path: str | Path) -> list[Case]:
    """Read a question file (a list of items, or a knowledge/questions/ file: the list under `questions`); raise
    ValueError naming the item that is malformed."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("questions")
    if not isinstance(data, list):
        raise ValueError(f"{path}: the file must be a list of {{q: ..., expect: ...}} items, or hold one under "
                         "'questions:'.")
    cases = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or "expect" not in item:
            raise ValueError(f"{path}: item {i} must have a text 'q' and an 'expect' (a service id, null or a list).")
        expect = item["expect"]
        cases.append(Case(item["q"], tuple(expect) if isinstance(expect, list) else expect))
    return cases


@dataclass
class Result:
    rows: list[dict] = field(default_factory=list)

    def _of(self, kind):
        return [r for r in self.rows if r["kind"] == kind]

    def summary(self) -> dict:
        answerable, oos, ambiguous = self._of("answerable"), self._of("out_of_scope"), self._of("ambiguous")
        share = lambda part, whole: round(len(part) / len(whole), 4) if whole else None  # noqa: E731
        return {
            "questions": len(self.rows),
            "answerable": len(answerable),
            "top1_accuracy": share([r for r in answerable if r["correct"]], answerable),
            "wrong_answer_rate": share([r for r in answerable if r["action"] == ANSWER and not r["correct"]], answerable),
            "out_of_scope": len(oos),
            "out_of_scope_rejection": share([r for r in oos if r["correct"]], oos),
            "ambiguous": len(ambiguous),
            "ambiguous_clarified": share([r for r in ambiguous if r["correct"]], ambiguous),
            "short_ambiguous": len(short := [r for r in ambiguous if r["short"]]),
            "short_ambiguous_clarified": share([r for r in short if r["correct"]], short),
        }

    def summary_text(self) -> str:
        s = self.summary()
        pct = lambda v: "n/a" if v is None else f"{100 * v:.1f}%"  # noqa: E731
        return (f"{s['questions']} questions\n"
                f"top-1 accuracy (answerable, n={s['answerable']}): {pct(s['top1_accuracy'])}\n"
                f"wrong-answer rate (answerable): {pct(s['wrong_answer_rate'])}\n"
                f"out-of-scope rejection (n={s['out_of_scope']}): {pct(s['out_of_scope_rejection'])}\n"
                f"ambiguous clarified (n={s['ambiguous']}): {pct(s['ambiguous_clarified'])}\n"
                f"  of them one or two words (n={s['short_ambiguous']}): {pct(s['short_ambiguous_clarified'])}")

    def failures(self) -> list[dict]:
        return [r for r in self.rows if not r["correct"]]

    def below(self, *, min_accuracy=0.0, max_wrong=1.0, min_rejection=0.0, min_clarified=0.0,
              min_short_clarified=0.0) -> list[str]:
        s, failed = self.summary(), []
        checks = [("top-1 accuracy", s["top1_accuracy"], min_accuracy, False),
                  ("wrong-answer rate", s["wrong_answer_rate"], max_wrong, True),
                  ("out-of-scope rejection", s["out_of_scope_rejection"], min_rejection, False),
                  ("ambiguous clarified", s["ambiguous_clarified"], min_clarified, False),
                  ("one- or two-word ambiguous clarified", s["short_ambiguous_clarified"], min_short_clarified, False)]
        for name, value, limit, is_max in checks:
            if value is not None and (value > limit if is_max else value < limit):
                failed.append(f"{name} is {value:.3f}, {'above' if is_max else 'below'} {limit}")
        return failed


def judge(case: Case, action: str, service: str | None, options: tuple[str, ...]) -> bool:
    if case.kind == "answerable":
        return action == ANSWER and service == case.expect
    if case.kind == "out_of_scope":
        return action != ANSWER
    return action == CLARIFY and set(case.expect) <= set(options)


def evaluate_cases(matcher: Matcher, cases: list[Case]) -> Result:
    result = Result()
    for case in cases:
        decision = matcher.decide(case.q)
        row = {"q": case.q, **decision.as_dict()}
        expect = list(case.expect) if isinstance(case.expect, tuple) else case.expect
        result.rows.append({**row, "expect": expect, "kind": case.kind, "short": case.short,
                            "correct": judge(case, decision.action, decision.service_id, decision.options)})
    return result
