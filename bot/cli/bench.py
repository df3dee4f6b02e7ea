"""python -m bot bench: the city-scale benchmark of bench/ (issue 7), as a command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.config import PROJECT_ROOT


@click.command()
@click.option("--quick", is_flag=True, help="Small counts and one run each: a check that it works, not figures.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for results.json and results.md (default: data/bench, git-ignored; "
                   "--output bench/results updates the published figures).")
def bench(quick, output):
    """Measure load time, memory, matcher latency and throughput at 40, 500 and 2,000 services,
    end to end through a local fake Bot API, and against TF-IDF and BM25 baselines.

    Prints a progress bar and the results table, and writes results.json and results.md to data/bench
    (or --output). Needs
    the development dependencies (requirements-dev.txt; ./dev bench installs them) and takes
    under 10 minutes on 2 cores. Example:

        python -m bot bench --quick
    """
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))  # bench/ sits beside bot/, outside the package
    from bench.report import markdown
    from bench.run import DEFAULT_OUTPUT, missing_dependencies, run_benchmark

    if missing := missing_dependencies():
        raise click.ClickException(f"The benchmark needs {', '.join(missing)}; install the development "
                                   "dependencies with: pip install -r requirements-dev.txt")
    try:
        results = run_benchmark(quick=quick, output=output or DEFAULT_OUTPUT)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(markdown(results))


COMMANDS = (bench,)
