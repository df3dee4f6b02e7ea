"""One measurement in a fresh interpreter: `python -m bench.worker TASK 'JSON parameters'`.

Prints the result as one JSON line on stdout; everything else (logging) goes to stderr.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def core(params: dict) -> dict:
    from bench.measure import core_run

    with tempfile.TemporaryDirectory(prefix="bench-core-") as workdir:
        return core_run(Path(params["root"]), Path(params["kb"]), Path(workdir),
                        latency_questions=params["latency_questions"], answer_questions=params["answer_questions"],
                        latency_budget=params["latency_budget"], answer_budget=params["answer_budget"])


def e2e(params: dict) -> dict:
    from bench.e2e import e2e_run
    from bench.measure import peak_rss_mb, question_pool

    kb = Path(params["kb"])
    pool = question_pool(Path(params["root"]), kb, seed=params.get("seed", 11))
    questions = [pool[i % len(pool)] for i in range(params["questions"])]
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as workdir:
        result = e2e_run(kb, Path(workdir), questions, timeout=params["timeout"])
    return {**result, "peak_rss_mb": peak_rss_mb()}


def baselines(params: dict) -> dict:
    from bench.baselines import run_baselines

    return run_baselines(Path(params["root"]), repeats=params["repeats"])


TASKS = {"core": core, "e2e": e2e, "baselines": baselines}


def main(argv: list[str]) -> None:
    task, params = argv[1], json.loads(argv[2])
    print(json.dumps(TASKS[task](params), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv)
