"""The benchmark of issue 7: `python bench/run.py [--quick]` or `python -m bot bench [--quick]`.

Builds synthetic knowledge bases, runs every measurement in fresh processes (interleaving the
sizes, because the machines are shared and noisy), runs the retrieval baselines, and writes
results.json and results.md to data/bench/ (git-ignored), or to --output (bench/results/ holds
the published figures: pass --output bench/results to update them). The whole run stays under a time budget: a task that
would overrun it is skipped and the results say so.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402

from bench.report import judge_targets, machine, markdown  # noqa: E402
from bench.synthetic import SHIPPED_SIZE, build_directory  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"  # the published figures, tracked: written only when asked with --output
DEFAULT_OUTPUT = ROOT / "data" / "bench"  # git-ignored, so a run leaves the work tree clean
TARGET_SIZE = 2000


@dataclass(frozen=True)
class Settings:
    sizes: tuple[int, ...]
    core_runs: int
    latency_questions: int
    answer_questions: int
    latency_budget_seconds: float  # per run: a slow matcher is timed on fewer questions, and the table says so
    answer_budget_seconds: float
    e2e_sizes: tuple[int, ...]
    e2e_questions: int
    e2e_runs: int
    e2e_timeout_seconds: float
    baseline_repeats: int
    deadline_seconds: float  # the whole run; tasks that would overrun it are skipped


FULL = Settings(sizes=(SHIPPED_SIZE, 500, TARGET_SIZE), core_runs=3, latency_questions=5000, answer_questions=3000,
                latency_budget_seconds=25, answer_budget_seconds=10, e2e_sizes=(SHIPPED_SIZE, TARGET_SIZE, 500),
                e2e_questions=1000, e2e_runs=3, e2e_timeout_seconds=90, baseline_repeats=3, deadline_seconds=570)
QUICK = Settings(sizes=(SHIPPED_SIZE, 120), core_runs=1, latency_questions=300, answer_questions=100,
                 latency_budget_seconds=5, answer_budget_seconds=5, e2e_sizes=(SHIPPED_SIZE,), e2e_questions=40,
                 e2e_runs=1, e2e_timeout_seconds=20, baseline_repeats=1, deadline_seconds=120)


def missing_dependencies() -> list[str]:
    """Development dependencies the benchmark needs that are not installed."""
    import importlib.util

    return [name for name in ("tqdm", "sklearn", "bm25s", "jieba") if importlib.util.find_spec(name) is None]


class Clock:
    """The run's time budget, with the duration of each kind of task learned as it goes."""

    def __init__(self, deadline: float):
        self.started = time.monotonic()
        self.deadline = deadline
        self.durations: dict[str, float] = {}

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def fits(self, kind: str, guess: float) -> bool:
        return self.elapsed() + self.durations.get(kind, guess) <= self.deadline

    def record(self, kind: str, seconds: float) -> None:
        self.durations[kind] = max(seconds, self.durations.get(kind, 0.0))


def run_benchmark(quick: bool = False, output: Path = DEFAULT_OUTPUT, progress: bool = True) -> dict:
    """Run everything, write results.json and results.md to `output`, and return the results."""
    from tqdm import tqdm

    settings = QUICK if quick else FULL
    clock = Clock(settings.deadline_seconds)
    plan = _plan(settings)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-kb-") as scratch, \
            tqdm(total=len(plan) + 1, desc="benchmark", unit="task", disable=not progress) as bar:
        bar.set_postfix_str("writing synthetic knowledge bases")
        directories = {size: _knowledge_dir(Path(scratch), size) for size in settings.sizes}
        bar.update()
        outcomes: dict[tuple, list[dict]] = {}
        for task in plan:
            kind, size = task[0], task[1]
            bar.set_postfix_str(_describe(task))
            if not clock.fits(_kind(task), _guess(task, settings)):
                notes.append(f"Skipped {_describe(task)}: it would overrun the "
                             f"{settings.deadline_seconds:.0f} s budget.")
                bar.update()
                continue
            started = time.monotonic()
            result = _worker(kind, _params(task, settings, directories))
            clock.record(_kind(task), time.monotonic() - started)
            outcomes.setdefault((kind, size), []).append(result)
            bar.update()
    results = _assemble(settings, quick, outcomes, notes, clock.elapsed())
    _write(results, Path(output))
    return results


def _plan(settings: Settings) -> list[tuple]:
    """The tasks in order: baselines, core runs interleaved across sizes, then end-to-end runs."""
    plan: list[tuple] = [("baselines", None)]
    for run in range(settings.core_runs):
        plan += [("core", size, run) for size in settings.sizes]
    for size in settings.e2e_sizes:
        plan += [("e2e", size, run) for run in range(settings.e2e_runs)]
    return plan


def _kind(task: tuple) -> str:
    return f"{task[0]}:{task[1]}"


def _guess(task: tuple, settings: Settings) -> float:
    """A first guess of a task's duration, before one of its kind has run."""
    kind, size = task[0], task[1]
    if kind == "baselines":
        return 30.0
    load = 2.0 + (size or 0) / 100
    if kind == "core":
        return load + settings.latency_budget_seconds + settings.answer_budget_seconds
    return load + settings.e2e_timeout_seconds + 10  # a slow bot runs into the timeout, then drains its batch


def _describe(task: tuple) -> str:
    if task[0] == "baselines":
        return "baselines on the question sets"
    label = {"core": "load, matcher, answering path", "e2e": "end to end"}[task[0]]
    return f"{label} at {task[1]:,} services (run {task[2] + 1})"


def _knowledge_dir(scratch: Path, size: int) -> Path:
    from bot.config import BUNDLED_KNOWLEDGE

    return BUNDLED_KNOWLEDGE if size == SHIPPED_SIZE else build_directory(scratch / f"kb{size}", size)


def _params(task: tuple, settings: Settings, directories: dict[int, Path]) -> dict:
    params = {"root": str(ROOT)}
    if task[0] == "baselines":
        return {**params, "repeats": settings.baseline_repeats}
    params["kb"] = str(directories[task[1]])
    if task[0] == "core":
        return {**params, "latency_questions": settings.latency_questions,
                "answer_questions": settings.answer_questions, "latency_budget": settings.latency_budget_seconds,
                "answer_budget": settings.answer_budget_seconds}
    return {**params, "questions": settings.e2e_questions, "timeout": settings.e2e_timeout_seconds,
            "seed": 11 + task[2]}


def _worker(task: str, params: dict) -> dict:
    """Run one task in a fresh interpreter and read its JSON line."""
    done = subprocess.run([sys.executable, "-m", "bench.worker", task, json.dumps(params)], cwd=ROOT,
                          stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"The benchmark task '{task}' failed (exit code {done.returncode}); its error is above.")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _assemble(settings: Settings, quick: bool, outcomes: dict, notes: list[str], seconds: float) -> dict:
    sizes = []
    for size in settings.sizes:
        runs = outcomes.get(("core", size), [])
        row = {"services": size, "runs": len(runs)}
        if runs:
            for field in ("load_index_seconds", "peak_rss_mb", "peak_rss_after_load_mb", "matcher_p50_ms",
                          "matcher_p99_ms", "matcher_mean_ms", "answer_per_second"):
                row[field] = statistics.median(r[field] for r in runs)
                row[f"{field}_runs"] = [r[field] for r in runs]
            row["matcher_questions"] = min(r["matcher_questions"] for r in runs)
            row["answer_questions"] = min(r["answer_questions"] for r in runs)
            if row["matcher_questions"] < settings.latency_questions:
                notes.append(f"At {size:,} services the matcher was timed on {row['matcher_questions']:,} questions "
                             f"per run, not {settings.latency_questions:,}: the "
                             f"{settings.latency_budget_seconds:.0f} s budget per run ran out.")
        e2e_runs = outcomes.get(("e2e", size), [])
        if e2e_runs:
            row["e2e"] = _median_e2e(e2e_runs)
        elif size in settings.e2e_sizes:
            row["e2e_skipped"] = "skipped (time budget)"
        else:
            row["e2e_skipped"] = "not run at this size"
        sizes.append(row)
    baselines = (outcomes.get(("baselines", None)) or [None])[0]
    target_size = TARGET_SIZE if not quick else settings.sizes[-1]
    if quick:
        notes.append(f"Quick mode: small counts, one run each; targets judged at {target_size:,} services, "
                     "not 2,000. Do not quote these figures.")
    return {
        "benchmark": "issue 7: city scale",
        "mode": "quick" if quick else "full",
        "machine": machine(),
        "settings": asdict(settings),
        "sizes": sizes,
        "baselines": baselines,
        "targets": judge_targets(sizes, baselines, target_size),
        "notes": notes,
        "duration_seconds": seconds,
    }


def _median_e2e(runs: list[dict]) -> dict:
    def median(field):
        values = [r[field] for r in runs if r[field] is not None]
        return statistics.median(values) if values else None

    return {
        "runs": len(runs),
        "questions": runs[0]["questions"],
        "answered": min(r["answered"] for r in runs),
        "answered_per_second": median("answered_per_second"),
        "answered_per_second_runs": [r["answered_per_second"] for r in runs],
        "seconds": median("seconds"),
        "first_reply_p50_seconds": median("first_reply_p50_seconds"),
        "first_reply_max_seconds": median("first_reply_max_seconds"),
        "messages_to_citizens": runs[0]["messages_to_citizens"],
        "messages_to_staff": runs[0]["messages_to_staff"],
        "bot_cpu_seconds": median("bot_cpu_seconds"),
        "fake_api_cpu_seconds": median("fake_api_cpu_seconds"),
        "peak_rss_mb": median("peak_rss_mb"),
        "timed_out": any(r["timed_out"] for r in runs),
    }


def _write(results: dict, output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (output / "results.md").write_text(markdown(results), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, one run each (for tests)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where results.json and results.md go (default data/bench; bench/results to publish)")
    args = parser.parse_args(argv)
    if missing := missing_dependencies():
        sys.exit(f"The benchmark needs {', '.join(missing)}; install them with: pip install -r requirements-dev.txt")
    results = run_benchmark(quick=args.quick, output=args.output)
    print(markdown(results))


if __name__ == "__main__":
    main()
