"""Classical retrieval baselines on the project's own question sets, side by side with our matcher.

Each baseline indexes, per service (and per life event), the names, aliases and example questions
that our matcher also sees, and ranks them for a question:

* TF-IDF over character 1-3-grams (scikit-learn, analyzer='char_wb'), cosine similarity;
* BM25 (bm25s) over jieba words.

Both read the text through bot.text.normalize (traditional -> simplified, full width, case) and
BM25 drops the same asking words and English stopwords our matcher drops, so they see what it
sees. A retriever only ranks; to answer, clarify or escalate it needs a confidence threshold and
a margin. Both are tuned on the very question set they are scored on (an optimistic, best-case
figure, see tune()). Our matcher runs with its shipped thresholds.
"""

from __future__ import annotations

import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.answering.evaluation import Case, Result, judge, load_cases
from bot.answering.matching import ANSWER, CLARIFY, ESCALATE, EVENT_PREFIX, Matcher
from bot.answering.text import ENGLISH_STOPWORDS, normalize

MARGINS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
MAX_OPTIONS = 4
TOP = 5
BAR_WRONG, BAR_REJECTION = 0.03, 0.9  # the project's bar for the question sets (README, "Question sets")


@dataclass(frozen=True)
class Setting:
    threshold: float
    margin: float  # answer only when the best beats the runner-up by this share of its score


def documents(knowledge) -> tuple[list[str], list[str]]:
    """(target ids, one text per target): services, then life events under the event prefix."""
    ids, texts = [], []
    for service in knowledge.services.values():
        ids.append(service.id)
        texts.append(" \n ".join(_phrases(service.name, service.aliases, service.examples)))
    for event in knowledge.events.values():
        ids.append(EVENT_PREFIX + event.id)
        texts.append(" \n ".join(_phrases(event.name, event.aliases, event.examples)))
    return ids, texts


def _phrases(name, aliases, examples) -> list[str]:
    return [name.zh, *([name.en] if name.en else []), *aliases, *examples]


class TfidfRetriever:
    name = "TF-IDF char 1-3-grams"

    def __init__(self, knowledge):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.ids, texts = documents(knowledge)
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), preprocessor=normalize,
                                          sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform(texts)

    def scores(self, question: str):
        # Rows are L2-normalised, so the dot product is the cosine similarity.
        return (self.matrix @ self.vectorizer.transform([question]).T).toarray().ravel()


class Bm25Retriever:
    name = "BM25 (bm25s + jieba)"

    def __init__(self, knowledge):
        import bm25s
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        self._cut = jieba.lcut_for_search
        self.ids, texts = documents(knowledge)
        self.index = bm25s.BM25()
        self.index.index([self.tokens(text) for text in texts], show_progress=False)

    def tokens(self, text: str) -> list[str]:
        from bot.answering.matching import CHINESE_FILLERS

        fillers = set(CHINESE_FILLERS) | ENGLISH_STOPWORDS
        return [t for t in self._cut(normalize(text)) if t.strip() and t not in fillers]

    def scores(self, question: str):
        known = [t for t in self.tokens(question) if t in self.index.vocab_dict and t]  # unknown words weigh nothing
        return self.index.get_scores(known) if known else np.zeros(len(self.ids))


def ranked(retriever, question: str) -> list[tuple[str, float]]:
    scores = retriever.scores(question)
    order = scores.argsort()[::-1][:TOP]
    return [(retriever.ids[i], float(scores[i])) for i in order]


def decide(top: list[tuple[str, float]], setting: Setting, knowledge) -> tuple[str, str | None, tuple[str, ...]]:
    """Answer, clarify or escalate from a ranking, the way our matcher's thresholds work."""
    best_id, best = top[0]
    if best <= 0 or best < setting.threshold:
        return ESCALATE, None, ()
    if best_id.startswith(EVENT_PREFIX):
        event = knowledge.events[best_id[len(EVENT_PREFIX):]]
        return CLARIFY, None, event.service_ids[:MAX_OPTIONS]
    runner_up = top[1][1] if len(top) > 1 else 0.0
    if best - runner_up >= setting.margin * best:
        return ANSWER, best_id, ()
    close = tuple(i for i, s in top[:MAX_OPTIONS] if s >= best - setting.margin * best
                  and not i.startswith(EVENT_PREFIX))
    return (CLARIFY, None, close) if len(close) >= 2 else (ESCALATE, None, ())


def score(cases: list[Case], decisions) -> dict:
    result = Result()
    for case, (action, service, options) in zip(cases, decisions, strict=False):
        result.rows.append({"kind": case.kind, "short": case.short, "action": action,
                            "correct": judge(case, action, service, options)})
    summary = result.summary()
    summary["handled_right"] = round(sum(r["correct"] for r in result.rows) / len(result.rows), 4)
    return summary


def tune(cases: list[Case], tops: list, knowledge) -> dict[str, tuple[Setting, dict] | None]:
    """The best threshold and margin on this very set, for two aims:

    * "best": the most questions handled right (judge() over every kind), fewer wrong answers breaking ties;
    * "at_bar": the highest top-1 accuracy that still meets the project's bar on wrong answers
      (at most 3%) and out-of-scope rejection (at least 90%); None when no setting meets it.
    """
    bests = sorted({round(top[0][1], 4) for top in tops})
    step = max(1, len(bests) // 60)
    found: dict[str, tuple[Setting, dict] | None] = {"best": None, "at_bar": None}
    aims = {"best": lambda s: (s["handled_right"], -s["wrong_answer_rate"]),
            "at_bar": lambda s: (s["top1_accuracy"], s["handled_right"])}
    for threshold in [0.0, *bests[::step]]:
        for margin in MARGINS:
            setting = Setting(threshold, margin)
            summary = score(cases, [decide(top, setting, knowledge) for top in tops])
            meets_bar = summary["wrong_answer_rate"] <= BAR_WRONG and summary["out_of_scope_rejection"] >= BAR_REJECTION
            for aim, key in aims.items():
                if aim == "at_bar" and not meets_bar:
                    continue
                if found[aim] is None or key(summary) > key(found[aim][1]):
                    found[aim] = (setting, summary)
    return found


def run_baselines(root: Path, repeats: int = 3) -> dict:
    """Our matcher and both baselines on tests/eval/questions_a.yaml + questions_b.yaml, shipped knowledge base."""
    from bench.measure import EVAL_FILES
    from bot.config import BUNDLED_KNOWLEDGE
    from bot.knowledge.loading import load_knowledge

    knowledge = load_knowledge(BUNDLED_KNOWLEDGE)
    cases = [case for name in EVAL_FILES for case in load_cases(root / name)]
    results = {}

    started = time.perf_counter()
    matcher = Matcher(knowledge)
    index_seconds = time.perf_counter() - started
    decisions = [(d.action, d.service_id, d.options) for d in map(matcher.decide, (c.q for c in cases))]
    timings = [_time_per_question(matcher.decide, cases) for _ in range(repeats)]
    results["matcher"] = {"name": "our matcher (bot.matching)", "setting": "shipped thresholds",
                          **score(cases, decisions), **_timing(timings, index_seconds),
                          "top1_if_always_answering": None}

    for key, build in (("tfidf", TfidfRetriever), ("bm25", Bm25Retriever)):
        started = time.perf_counter()
        retriever = build(knowledge)
        index_seconds = time.perf_counter() - started
        tops = [ranked(retriever, c.q) for c in cases]
        always = score(cases, [decide(top, Setting(-1.0, 0.0), knowledge) for top in tops])
        for aim, tuned in tune(cases, tops, knowledge).items():
            name = retriever.name + ("" if aim == "best" else ", tuned to the project's bar")
            if tuned is None:
                results[f"{key}_{aim}"] = {"name": name, "setting": "no threshold and margin meet the bar"}
                continue
            setting, summary = tuned
            timings = [_time_per_question(lambda q, r=retriever, s=setting: decide(ranked(r, q), s, knowledge), cases)
                       for _ in range(repeats)]
            results[f"{key}_{aim}"] = {
                "name": name,
                "setting": f"threshold {setting.threshold:.4g}, margin {setting.margin:.0%} (tuned on this set)",
                **summary, **_timing(timings, index_seconds), "top1_if_always_answering": always["top1_accuracy"]}
    return {"questions": len(cases), "knowledge_services": len(knowledge.services), "methods": results}


def _time_per_question(decide_one, cases: list[Case]) -> float:
    started = time.perf_counter()
    for case in cases:
        decide_one(case.q)
    return (time.perf_counter() - started) / len(cases)


def _timing(timings: list[float], index_seconds: float) -> dict:
    return {"ms_per_question": statistics.median(timings) * 1000, "ms_per_question_runs": [t * 1000 for t in timings],
            "index_seconds": index_seconds}
