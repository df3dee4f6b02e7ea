"""python -m bot validate | diff: checking and comparing knowledge bases."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.cli.common import load_config, load_knowledge_base


@click.command()
@click.argument("directory", type=click.Path(path_type=Path), required=False)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for CI.")
def validate(directory, strict, as_json):
    """Check a knowledge base and report every problem at once, with file:line and the fix.

    Exits 1 on any error (with --strict, on any warning too). Example:

        python -m bot validate knowledge --strict
    """
    from bot.answering.quality import quality_warnings
    from bot.knowledge.validation import check_directory

    config = load_config()
    directory = directory or config.knowledge_dir
    checked = check_directory(directory)
    problems = list(checked.problems)
    if not checked.errors:
        problems += quality_warnings(directory, checked)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    # Depends on today's date, not on the files: shown, but --strict does not fail on it (a build must not
    # break on a date); the running bot counts BUSINESS_DAYS on such days and logs it.
    coverage = [] if checked.errors else calendar_coverage(directory, checked.raw.calendar, config.business_hours)
    if as_json:
        click.echo(json.dumps({"version": checked.version, "errors": len(errors), "warnings": len(warnings),
                               "calendar_warnings": len(coverage),
                               "problems": [p.as_dict() for p in problems + coverage]}, ensure_ascii=False, indent=2))
    else:
        for problem in problems + coverage:
            click.echo(str(problem))
        services = len(checked.raw.services)
        click.echo(f"{directory}: {services} services, {len(errors)} error(s), {len(warnings)} warning(s), "
                   + (f"{len(coverage)} calendar warning(s), " if coverage else "") + f"version {checked.version or '-'}")
    sys.exit(1 if errors or (strict and warnings) else 0)


def calendar_coverage(directory: Path, calendar_data: dict | None, business, today=None) -> list:
    """A warning when some of the next COVERAGE_DAYS days (from today, local) are covered by no calendar."""
    import datetime as dt

    from bot.knowledge.calendar import CALENDAR_FILE, build_calendar
    from bot.knowledge.validation import WARNING, Problem
    from bot.records.workdays import COVERAGE_DAYS, OFFICIAL_YEARS, WorkingTime

    today = today or dt.datetime.now(business.timezone).date()
    days = WorkingTime(business, build_calendar(calendar_data)).uncovered(today, COVERAGE_DAYS)
    if not days:
        return []
    years = ", ".join(str(y) for y in sorted({d.year for d in days}))
    return [Problem(WARNING, f"{Path(directory).name}/{CALENDAR_FILE}", None, None,
                    f"no calendar covers {days[0]} to {days[-1]} ({len(days)} of the next {COVERAGE_DAYS} days): "
                    f"the chinese-calendar package knows {OFFICIAL_YEARS[0]}-{OFFICIAL_YEARS[1]} and {CALENDAR_FILE} has no entry for {years}. "
                    "Until the State Council's schedule is entered under 'years:', deadlines on those days count "
                    "BUSINESS_DAYS and ignore public holidays.")]




@click.command()
@click.argument("old_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("new_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def diff(old_dir, new_dir):
    """Summarise what changed between two knowledge bases: services added, removed, changed (which fields).

    Use it to review an edit before merging or reloading. Exits 1 if NEW_DIR has errors. Example:

        python -m bot diff /srv/knowledge knowledge
    """
    from bot.knowledge.diff import diff_knowledge
    click.echo("\n".join(diff_knowledge(load_knowledge_base(old_dir), load_knowledge_base(new_dir)).lines()))


COMMANDS = (validate, diff,)
