"""python -m bot report | gaps | history | purge: supervision commands over the ledger.

Registered on the `cli` group of bot.cli when bot.cli imports this module. Thin: parse options,
call bot.report, bot.gaps, bot.history or Ledger.purge_before, print.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from bot.cli import DATABASE_OPTION, KNOWLEDGE_OPTION, _config, cli
from bot.config import Config
from bot.knowledge import KnowledgeError

# The library modules are imported inside the commands: every `python -m bot` command pays for
# what is imported here, and `eval` must start fast.
FORMATS = ("text", "markdown", "csv", "html")  # bot.report.FORMATS


def _ledger(config: Config):
    """The configured ledger file; an error (not a new empty file) when it does not exist."""
    from bot.ledger import Ledger

    path = Path(config.database_path)
    if not path.is_file():
        raise click.ClickException(f"The ledger file {path} does not exist; pass --database PATH or set "
                                   "DATABASE_PATH to the file the bot writes.")
    return Ledger(path)


def _knowledge(config: Config):
    from bot.knowledge import load_knowledge

    try:
        return load_knowledge(config.knowledge_dir)
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from None


def _moment(text: str, option: str, config: Config) -> dt.datetime:
    from bot.ledger import utc_now
    from bot.report import parse_since

    try:
        return parse_since(text, utc_now(), config.business_hours.timezone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{option}'") from None


@cli.command()
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
    from bot.ledger import utc_now
    from bot.report import build_report, render_report

    config = _config(knowledge_dir, database_path)
    since = _moment(since_text, "--since", config)
    ledger = _ledger(config)
    try:
        result = build_report(ledger, _knowledge(config), since, utc_now(), config.business_hours.timezone)
    finally:
        ledger.close()
    text = render_report(result, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote the {fmt} report for {result.window} to {output}.")
    else:
        click.echo(text, nl=False)


@cli.command()
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
    from bot.gaps import find_gaps, format_gaps
    from bot.ledger import utc_now
    from bot.matching import Matcher

    config = _config(knowledge_dir, database_path)
    since = _moment(since_text, "--since", config)
    matcher = Matcher(_knowledge(config), config.thresholds)
    ledger = _ledger(config)
    until = utc_now()
    try:
        found = find_gaps(ledger, matcher, since, until, threshold)
    finally:
        ledger.close()
    click.echo(format_gaps(found, since, until, config.business_hours.timezone, markdown=fmt == "markdown"),
               nl=False)


@cli.command()
@click.option("--user", "user_id", default=None,
              help="A citizen's user id: every question and answer, and their cases.")
@click.option("--case", "case_id", type=int, default=None, help="A case number: its questions and events in order.")
@click.option("--clip", type=click.IntRange(20), default=300, show_default=True,
              help="Shorten each question and answer to this many characters.")
@DATABASE_OPTION
def history(user_id, case_id, clip, database_path):
    """Print what a citizen was told, or what happened to a case, from the ledger.

    Give exactly one of --user and --case. Example:

        python -m bot history --case 12
    """
    from bot.history import case_history, user_history

    if (user_id is None) == (case_id is None):
        raise click.UsageError("Give exactly one of --user ID and --case N.")
    config = _config(database_path=database_path)
    ledger = _ledger(config)
    try:
        lines = user_history(ledger, user_id, clip) if user_id is not None else case_history(ledger, case_id, clip)
    finally:
        ledger.close()
    if lines is None:
        raise click.ClickException(f"There is no case #{case_id} in {config.database_path}; check the number.")
    if not lines:
        raise click.ClickException(f"There are no questions from user {user_id} in {config.database_path}; "
                                   "check the id (records older than a purge no longer carry it).")
    click.echo("\n".join(lines))


@cli.command()
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
    from bot.report import PURGE_MARKER, local_time

    config = _config(database_path=database_path)
    cutoff = _moment(older_than, "--older-than", config)
    when = f"{local_time(cutoff, config.business_hours.timezone)} ({config.business_hours.timezone.key})"
    ledger = _ledger(config)
    try:
        if not yes:
            click.confirm(f"Replace citizens' ids and free text recorded before {when} in {config.database_path} "
                          f"with {PURGE_MARKER}? This cannot be undone.", abort=True)
        counts = ledger.purge_before(cutoff, PURGE_MARKER, actor="cli")
    finally:
        ledger.close()
    summary = ", ".join(f"{table} {count}" for table, count in counts.items())
    click.echo(f"Purged records before {when}: {summary}. The purge is recorded in the purges table.")
