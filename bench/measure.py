"""In-process measurements at one knowledge-base size; each call runs in a fresh interpreter.

A fresh process per run keeps sizes from polluting each other: its peak RSS belongs to one
knowledge base, and load + index is measured cold, as when the bot starts.
"""

from __future__ import annotations

import random
import resource
import time
from pathlib import Path

from bench.synthetic import questions_of

EVAL_FILES = ("tests/eval/questions_a.yaml", "tests/eval/questions_b.yaml")


def eval_questions(root: Path) -> list[str]:
    from bot.answering.evaluation import load_cases

    return [case.q for name in EVAL_FILES for case in load_cases(root / name)]


def question_pool(root: Path, kb_dir: Path, seed: int = 11) -> list[str]:
    """The project's question sets and the generated example questions, shuffled together."""
    pool = eval_questions(root) + questions_of(kb_dir)
    random.Random(seed).shuffle(pool)
    return pool


def peak_rss_mb() -> float:
    """The process's peak resident set size (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # not Linux: ru_maxrss is in kB on Linux, bytes on macOS
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def core_run(root: Path, kb_dir: Path, workdir: Path, *, latency_questions: int, answer_questions: int,
             latency_budget: float, answer_budget: float) -> dict:
    """One run of every in-process figure: load + index, matcher latency, answering-path throughput, peak RSS."""
    from bot.answering.assistant import Assistant, KnowledgeStore
    from bot.config import Config
    from bot.records.ledger import Ledger

    started = time.perf_counter()
    store = KnowledgeStore(kb_dir)  # load_knowledge (with validation) + Matcher construction, as at start-up
    load_seconds = time.perf_counter() - started
    rss_after_load = peak_rss_mb()
    pool = question_pool(root, kb_dir)
    latencies = _matcher_latencies(store.current.matcher, pool, latency_questions, latency_budget)
    ledger = Ledger(workdir / "answering.db")
    try:
        assistant = Assistant(store, ledger, Config(knowledge_dir=kb_dir, database_path=workdir / "answering.db"))
        answered, seconds = _answer(assistant, pool, answer_questions, answer_budget)
    finally:
        ledger.close()
    return {
        "services": len(store.current.knowledge.services),
        "load_index_seconds": load_seconds,
        "matcher_questions": len(latencies),
        "matcher_p50_ms": percentile(latencies, 0.50) * 1000,
        "matcher_p99_ms": percentile(latencies, 0.99) * 1000,
        "matcher_mean_ms": sum(latencies) / len(latencies) * 1000,
        "answer_questions": answered,
        "answer_per_second": answered / seconds,
        "peak_rss_after_load_mb": rss_after_load,
        "peak_rss_mb": peak_rss_mb(),
    }


def _matcher_latencies(matcher, pool: list[str], count: int, budget: float) -> list[float]:
    """Seconds per decide(), questions cycled from the pool; stops early when the budget is spent."""
    latencies = []
    deadline = time.perf_counter() + budget
    for i in range(count):
        question = pool[i % len(pool)]
        started = time.perf_counter()
        matcher.decide(question)
        finished = time.perf_counter()
        latencies.append(finished - started)
        if finished > deadline:
            break
    return latencies


def _answer(assistant, pool: list[str], count: int, budget: float) -> tuple[int, float]:
    """Questions through Assistant.ask (match, render, ledger write), each from its own citizen."""
    started = time.perf_counter()
    deadline = started + budget
    answered = 0
    for i in range(count):
        assistant.ask(pool[(i * 7) % len(pool)], channel="bench", user_id=f"bench{i}", chat_id=f"bench{i}")
        answered += 1
        if time.perf_counter() > deadline:
            break
    return answered, time.perf_counter() - started
