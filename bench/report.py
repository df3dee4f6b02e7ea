"""The machine, the issue's targets, and the results as a Markdown table."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path


def machine() -> dict:
    """What the figures were measured on: these machines are shared, so the load matters too."""
    model = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    memory = next((int(line.split()[1]) // 1024 for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), None)
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "memory_mb": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


# (key, measure, target text, where the value comes from, comparison)
TARGETS = (
    ("matcher_p99", "matcher p99 at 2,000 services", "≤ 10 ms", "matcher_p99_ms", "max", 10.0),
    ("matcher_p50", "matcher p50 at 2,000 services", "≤ 2 ms", "matcher_p50_ms", "max", 2.0),
    ("answering", "answering path on one core, 2,000 services", "≥ 1,000 questions/s", "answer_per_second", "min",
     1000.0),
    ("load_index", "load + index of 2,000 services", "≤ 2 s", "load_index_seconds", "max", 2.0),
    ("peak_rss", "peak RSS at 2,000 services (larger of core and bot process)", "≤ 250 MB", "peak_rss_mb", "max",
     250.0),
    ("e2e", "end-to-end through the fake Bot API", "≥ 200 questions/s", "e2e", "min", 200.0),
)


def judge_targets(sizes: list[dict], baselines: dict | None, target_size: int) -> list[dict]:
    """Each target of the issue with the measured value and met / missed."""
    at = next((s for s in sizes if s["services"] == target_size), sizes[-1] if sizes else None)
    judged = []
    for key, measure, target, field, kind, limit in TARGETS:
        if at is None:
            value, where = None, None
        elif field == "peak_rss_mb":
            # The running bot (the end-to-end process) holds more than the core measurements: count the larger.
            value = max(at.get(field) or 0.0, (at.get("e2e") or {}).get("peak_rss_mb") or 0.0) or None
            where = at["services"]
        elif field == "e2e":
            runs = [s for s in sizes if s.get("e2e")]
            e2e_at = next((s for s in runs if s["services"] == at["services"]), runs[-1] if runs else None)
            value = e2e_at["e2e"]["answered_per_second"] if e2e_at else None
            where = e2e_at["services"] if e2e_at else None
        else:
            value, where = at.get(field), at["services"]
        met = None if value is None else (value <= limit if kind == "max" else value >= limit)
        judged.append({"key": key, "measure": measure, "target": target, "value": value, "services": where,
                       "met": met})
    judged.extend(_accuracy_targets(baselines))
    return judged


def _accuracy_targets(baselines: dict | None) -> list[dict]:
    """Our matcher against every tuned operating point of both baselines (the strictest reading)."""
    if not baselines:
        return []
    methods = baselines["methods"]
    ours = methods["matcher"]
    others = [m for k, m in methods.items() if k != "matcher" and "top1_accuracy" in m]
    best_accuracy = max((m["top1_accuracy"] for m in others), default=None)
    lowest_wrong = min((m["wrong_answer_rate"] for m in others), default=None)
    return [
        {"key": "accuracy", "measure": "top-1 accuracy on our question set", "target": "higher than both baselines",
         "value": ours["top1_accuracy"], "baseline": best_accuracy, "services": baselines["knowledge_services"],
         "met": None if best_accuracy is None else ours["top1_accuracy"] > best_accuracy},
        {"key": "wrong", "measure": "wrong-answer rate", "target": "lower than both baselines",
         "value": ours["wrong_answer_rate"], "baseline": lowest_wrong, "services": baselines["knowledge_services"],
         "met": None if lowest_wrong is None else ours["wrong_answer_rate"] < lowest_wrong},
    ]


# -- Markdown ------------------------------------------------------------------------------

SIZE_ROWS = (
    ("load + index (s)", "load_index_seconds", "{:.2f}"),
    ("peak RSS: load, matcher, answering path (MB)", "peak_rss_mb", "{:.0f}"),
    ("matcher p50 (ms)", "matcher_p50_ms", "{:.2f}"),
    ("matcher p99 (ms)", "matcher_p99_ms", "{:.2f}"),
    ("matcher questions timed per run", "matcher_questions", "{:,}"),
    ("answering path, one core (questions/s)", "answer_per_second", "{:,.0f}"),
)
TARGET_OF_ROW = {"load_index_seconds": "load_index", "peak_rss_mb": "peak_rss", "matcher_p50_ms": "matcher_p50",
                 "matcher_p99_ms": "matcher_p99", "answer_per_second": "answering"}


def markdown(results: dict) -> str:
    lines = [(f"Measured {results['machine']['date']} on {_machine_line(results['machine'])}; "
              f"mode: {results['mode']}; whole run {results['duration_seconds']:.0f} s."), ""]
    lines += _size_table(results)
    if results.get("baselines"):
        lines += ["", *_baseline_table(results["baselines"])]
    lines += ["", *_target_table(results["targets"])]
    if results.get("notes"):
        lines += ["", *(f"- {note}" for note in results["notes"])]
    return "\n".join(lines) + "\n"


def _machine_line(m: dict) -> str:
    load = ", ".join(str(x) for x in m["load_average_at_start"] or [])
    return (f"{m['usable_cores']} of {m['cores']} cores ({m['cpu_model']}), {m['memory_mb']} MB, "
            f"Python {m['python']}, load average at start {load}")


def _size_table(results: dict) -> list[str]:
    sizes = results["sizes"]
    targets = {t["key"]: t for t in results["targets"]}
    header = ["measure (median of runs)", *(f"{s['services']:,} services" for s in sizes), "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    runs = ["runs (fresh process each)", *(str(s["runs"]) for s in sizes), ""]
    lines.append("| " + " | ".join(runs) + " |")
    for label, field, fmt in SIZE_ROWS:
        cells = [label, *(_cell(s.get(field), fmt) for s in sizes), _target_cell(targets.get(TARGET_OF_ROW.get(field)))]
        lines.append("| " + " | ".join(cells) + " |")
    e2e = ["end-to-end, burst of citizens (questions/s)"]
    for s in sizes:
        run = s.get("e2e")
        e2e.append(f"{run['answered_per_second']:,.0f} ({run['answered']:,}/{run['questions']:,} answered, "
                   f"{run['runs']} run{'s' if run['runs'] > 1 else ''})" if run else s.get("e2e_skipped", "not run"))
    e2e.append(_target_cell(targets.get("e2e")))
    lines.append("| " + " | ".join(e2e) + " |")
    rss = ["end-to-end: bot process peak RSS (MB)", *(_cell((s.get("e2e") or {}).get("peak_rss_mb"), "{:.0f}")
                                                      for s in sizes), ""]
    lines.append("| " + " | ".join(rss) + " |")
    cpu = ["end-to-end: bot CPU per question (ms)",
           *(_cell(_cpu_per_question(s.get("e2e")), "{:.1f}") for s in sizes), ""]
    lines.append("| " + " | ".join(cpu) + " |")
    return lines


def _cpu_per_question(run: dict | None) -> float | None:
    if not run or not run.get("answered") or run.get("bot_cpu_seconds") is None:
        return None
    return 1000 * run["bot_cpu_seconds"] / run["answered"]


def _cell(value, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def _target_cell(target: dict | None) -> str:
    if not target:
        return ""
    if target["met"] is None:
        return f"{target['target']}: not measured"
    return f"{target['target']}: **{'met' if target['met'] else 'missed'}**"


def _baseline_table(baselines: dict) -> list[str]:
    header = ["method", "setting", "top-1 accuracy", "wrong answers", "out-of-scope rejected", "ambiguous clarified",
              "ms / question", "top-1 if always answering"]
    lines = [(f"Baselines on tests/eval/questions_a.yaml + questions_b.yaml ({baselines['questions']} questions), "
              f"shipped knowledge base ({baselines['knowledge_services']} services):"), "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    for method in baselines["methods"].values():
        if "top1_accuracy" not in method:
            lines.append(f"| {method['name']} | {method['setting']} |" + " – |" * 6)
            continue
        lines.append("| " + " | ".join([
            method["name"], method["setting"], pct(method["top1_accuracy"]), pct(method["wrong_answer_rate"]),
            pct(method["out_of_scope_rejection"]), pct(method["ambiguous_clarified"]),
            f"{method['ms_per_question']:.2f}", pct(method["top1_if_always_answering"])]) + " |")
    return lines


def _target_table(targets: list[dict]) -> list[str]:
    lines = ["| target (issue 7) | wanted | measured | |", "|---|---|---|---|"]
    for t in targets:
        lines.append(f"| {t['measure']} | {t['target']} | {_value(t)} | "
                     f"{'–' if t['met'] is None else ('met' if t['met'] else '**missed**')} |")
    return lines


def _value(t: dict) -> str:
    value = t["value"]
    if value is None:
        return "not measured"
    if t["key"] in ("accuracy", "wrong"):
        return f"{100 * value:.1f}% (best baseline {100 * t['baseline']:.1f}%)"
    units = {"matcher_p99": " ms", "matcher_p50": " ms", "answering": " q/s", "load_index": " s",
             "peak_rss": " MB", "e2e": " q/s"}
    text = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return f"{text}{units.get(t['key'], '')} at {t['services']:,} services"
