"""Checking and building a knowledge base in a child process with memory and time limits.

A reload reads files an admin just edited. Whatever is in them (a huge file, a paste gone wrong, a
hostile edit), the work happens in a child process: it may use at most RELOAD_MEMORY_MB of memory and
RELOAD_TIMEOUT_SECONDS of time, and the bot's own process only waits for it (in a thread), so it keeps
answering. A child that fails, runs out of memory or is stopped is a refused reload with a sentence
that says why; the previous version keeps serving.

The child sends back the built knowledge base and matcher (pickled: the parent starts the child
itself and reads only its own standard output).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import PROJECT_ROOT, Thresholds

MEMORY_EXIT = 3  # the child's exit status when it ran out of memory
# How running out of address space shows when it happens outside Python code (a library being loaded).
_OUT_OF_MEMORY = ("memoryerror", "cannot allocate memory", "failed to map segment", "out of memory")


@dataclass(frozen=True)
class ReloadLimits:
    memory_mb: int = 1024
    seconds: float = 60.0


@dataclass(frozen=True)
class Checked:
    """What the child found: problems (errors, or warnings when loaded) and, when loaded, what it built."""

    loaded: bool
    problems: list = field(default_factory=list)
    knowledge: object | None = None
    matcher: object | None = None


def check_in_child(directory: Path, thresholds: Thresholds, limits: ReloadLimits, *, quality: bool = True) -> Checked:
    """Validate and build `directory` in a child process within `limits` (with the matcher's quality warnings)."""
    directory = Path(directory).resolve()
    request = pickle.dumps({"directory": directory, "thresholds": thresholds, "memory_mb": limits.memory_mb,
                            "quality": quality})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    try:
        done = subprocess.run([sys.executable, "-m", "bot.answering.reloading"], input=request, capture_output=True,
                              timeout=limits.seconds, cwd=PROJECT_ROOT, env=env, check=False)
    except subprocess.TimeoutExpired:
        return _refused(directory, f"checking the knowledge base took longer than {limits.seconds:g} s "
                        "(RELOAD_TIMEOUT_SECONDS), so it was stopped; look for a very large or complex file, or "
                        "raise the limit.")
    except OSError as exc:
        return _refused(directory, f"the process that checks the knowledge base could not start ({exc}); see the "
                        "log and try again.")
    errors = done.stderr.decode("utf-8", "replace")
    if done.returncode == MEMORY_EXIT or any(sign in errors.lower() for sign in _OUT_OF_MEMORY):
        return _refused(directory, f"checking the knowledge base needed more than {limits.memory_mb} MB of memory "
                        "(RELOAD_MEMORY_MB), so it was stopped; look for a very large file, or raise the limit.")
    if done.returncode != 0:
        last = (errors.strip().splitlines() or [f"exit status {done.returncode}"])[-1][:300]
        return _refused(directory, f"the process that checks the knowledge base failed ({last}); see the log "
                        "and try again.")
    try:
        return pickle.loads(done.stdout)
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with the answer, the reload is refused
        return _refused(directory, f"the process that checks the knowledge base gave no usable answer ({exc}); "
                        "see the log and try again.")


def _refused(directory: Path, sentence: str) -> Checked:
    from bot.knowledge.validation import ERROR, Problem

    return Checked(False, [Problem(ERROR, str(directory), None, None, f"The reload was refused: {sentence}")])


def _limit_memory(megabytes: int) -> None:
    import resource

    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # a child may not raise a limit it was started under
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _check(directory: Path, thresholds: Thresholds, quality: bool) -> Checked:
    """In the child: every check, and when there is no error the knowledge base and its matcher."""
    from bot.answering.matching import Matcher
    from bot.answering.quality import quality_warnings
    from bot.knowledge.loading import build_knowledge
    from bot.knowledge.validation import check_directory

    checked = check_directory(directory)
    if checked.errors:
        return Checked(False, checked.problems)
    knowledge = build_knowledge(directory, checked.raw, checked.version)
    matcher = Matcher(knowledge, thresholds)
    warnings = quality_warnings(directory, checked, matcher) if quality else []
    return Checked(True, checked.problems + warnings, knowledge, matcher)


def main() -> None:
    request = pickle.loads(sys.stdin.buffer.read())
    try:
        _limit_memory(request["memory_mb"])
        result = pickle.dumps(_check(request["directory"], request["thresholds"], request["quality"]))
    except MemoryError:
        os._exit(MEMORY_EXIT)
    sys.stdout.buffer.write(result)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    # Run the copy imported under its own name, so that what is pickled names bot.answering.reloading.
    from bot.answering.reloading import main as child_main

    child_main()
