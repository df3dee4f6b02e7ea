"""python -m bot report | gaps | history | purge: supervision commands over the ledger.

Thin: parse options, call bot.supervision.report or .gaps, bot.records.history or Ledger.purge_before, print.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import (
    DATABASE_OPTION,
    KNOWLEDGE_OPTION,
    load_config,
    load_knowledge_base,
    open_ledger,
    parse_moment,
)

# The library modules are imported inside the commands: every `python -m bot` command pays for
# what is imported here, and `eval` must start fast.
FORMATS = ("text", "markdown", "csv", "html")  # bot.supervision.report.FORMATS


@click.command()
@click.option("--since", "since_text", default="7d", show_default=True,
              help="Start of the window: a span back from now (7d, 24h, 30d) or a date (2024-05-01).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text (aligned columns), markdown, csv (one row per office/service) or html (page with charts).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file instead of printing it.")
@KNOWLEDGE_OPTION
@DATABASE_OPTION
def report(since_text, fmt, output, knowledge_dir, database_path):
    """Supervision report: questions, answers, escalations and cases per office and service.

    Counts inquiries, answers, clarifications, escalations, cases opened, median time to claim
    and to first answer, overdue and open cases, ratings and the "answers my question" rate,
    with totals, the window and the knowledge-base versions seen. Example:

        python -m bot report --since 30d --format html --output report.html
    """
    from bot.records.ledger import utc_now
    from bot.supervision.report import build_report, render_report

    config = load_config(knowledge_dir, database_path)
    since = parse_moment(since_text, "--since", config)
    ledger = open_ledger(config)
    try:
        result = build_report(ledger, load_knowledge_base(config.knowledge_dir), since, utc_now(), config.business_hours.timezone)
    finally:
        ledger.close()
    text = render_report(result, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote the {fmt} report for {result.window} to {output}.")
    else:
        click.echo(text, nl=False)


@click.command()
@click.option("--since", "since_text", default="30d", show_default=True,
              help="Start of the window: a span back from now (30d, 7d, 24h) or a date (2024-05-01).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 100), default=70.0, show_default=True,
              help="Similarity (0-100) at which two questions join the same group.")
@KNOWLEDGE_OPTION
@DATABASE_OPTION
def gaps(since_text, fmt, threshold, knowledge_dir, database_path):
    """Group escalated and 'ask a person' questions, largest groups first, with suggestions.

    For each group: how many questions, examples, the nearest service and candidate aliases
    and an example question to add to it, or a note that no service is close. Example:

        python -m bot gaps --since 30d --format markdown
    """
    from bot.answering.matching import Matcher
    from bot.records.ledger import utc_now
    from bot.supervision.gaps import find_gaps, format_gaps

    config = load_config(knowledge_dir, database_path)
    since = parse_moment(since_text, "--since", config)
    matcher = Matcher(load_knowledge_base(config.knowledge_dir), config.thresholds)
    ledger = open_ledger(config)
    until = utc_now()
    try:
        found = find_gaps(ledger, matcher, since, until, threshold)
    finally:
        ledger.close()
    click.echo(format_gaps(found, since, until, config.business_hours.timezone, markdown=fmt == "markdown"),
               nl=False)


@click.command()
@click.option("--user", "user_id", default=None,
              help="A citizen's user id: every question and answer, and their cases.")
@click.option("--case", "case_id", type=int, default=None, help="A case number: its questions and events in order.")
@click.option("--clip", type=click.IntRange(20), default=300, show_default=True,
              help="Shorten each question and answer to this many characters.")
@DATABASE_OPTION
def history(user_id, case_id, clip, database_path):
    """Print what a citizen was told, or what happened to a case, from the ledger, in local business time.

    Give exactly one of --user and --case; the console chat's user is "console". Example:

        python -m bot history --case 12
    """
    from bot.records.history import case_history, user_history, zone_line

    if (user_id is None) == (case_id is None):
        raise click.UsageError("Give exactly one of --user ID and --case N.")
    config = load_config(database_path=database_path)
    ledger = open_ledger(config)
    try:
        zone = config.business_hours.timezone
        lines = user_history(ledger, user_id, clip, zone) if user_id is not None else \
            case_history(ledger, case_id, clip, zone)
    finally:
        ledger.close()
    if lines is None:
        raise click.ClickException(f"There is no case #{case_id} in {config.database_path}; check the number.")
    if not lines:
        raise click.ClickException(f"There are no questions from user {user_id} in {config.database_path}; "
                                   "check the id (records older than a purge no longer carry it).")
    click.echo("\n".join([zone_line(zone), *lines]))


@click.command()
@click.option("--older-than", "older_than", required=True,
              help="Purge records older than this: a span (365d) or a date (2024-01-01).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@DATABASE_OPTION
def purge(older_than, yes, database_path):
    """Replace citizens' ids and free text older than a cutoff with a marker (retention).

    Counts, actions, services, times and case events stay, so reports still add up; every
    purge is recorded in the purges table. Asks for confirmation unless --yes. Example:

        python -m bot purge --older-than 365d --yes
    """
    from bot.records.workdays import local_moments
    from bot.supervision.report import PURGE_MARKER

    config = load_config(database_path=database_path)
    cutoff = parse_moment(older_than, "--older-than", config)
    when = local_moments(config.business_hours, cutoff)
    ledger = open_ledger(config, writable=True)
    try:
        if not yes:
            click.confirm(f"Replace citizens' ids and free text recorded before {when} in {config.database_path} "
                          f"with {PURGE_MARKER}? This cannot be undone.", abort=True)
        counts = ledger.purge_before(cutoff, PURGE_MARKER, actor="cli")
    finally:
        ledger.close()
    summary = ", ".join(f"{table} {count}" for table, count in counts.items())
    click.echo(f"Purged records before {when}: {summary}. The purge is recorded in the purges table.")


COMMANDS = (report, gaps, history, purge)
