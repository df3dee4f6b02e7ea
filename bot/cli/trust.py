"""python -m bot review | corrections: who must sign off what, and telling citizens what changed."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
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


@click.command()
@KNOWLEDGE_OPTION
@DATABASE_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object per office.")
def review(knowledge_dir, database_path, as_json):
    """List per office what it still has to review: entries never reviewed, overdue, only checked
    against the texts, unverifiable or without sources, and the citizens' open error reports.

    Example:

        python -m bot review
    """
    from bot.knowledge.review import OfficeReview, review_status

    config = load_config(knowledge_dir, database_path)
    knowledge = load_knowledge_base(config.knowledge_dir)
    status = review_status(knowledge, dt.date.today())
    reports = []
    if Path(config.database_path).is_file():  # no ledger yet: nobody reported anything
        with contextlib.closing(open_ledger(config)) as ledger:
            reports = ledger.error_reports("open")
    for report in reports:
        office_id = report.office_id or "unknown"
        status.setdefault(office_id, OfficeReview(office_id))
    rows = []
    for office_id, item in status.items():
        office = knowledge.offices.get(office_id)
        mine = [r for r in reports if (r.office_id or "unknown") == office_id]
        rows.append({"office": office_id, "name": office.name.zh if office else office_id,
                     "signed_off": item.signed_off, "checked_not_signed": item.checked, "unverified": item.unverified,
                     "unreviewed": item.unreviewed, "overdue": item.overdue, "unsourced": item.unsourced,
                     "error_reports": [{"id": r.id, "service": r.service_id or r.event_id, "text": r.text,
                                        "at": r.at.isoformat()} for r in mine]})
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['name']} ({row['office']})")
        for key, label in (("overdue", "review overdue"), ("unreviewed", "never reviewed"),
                           ("unverified", "could not be verified"), ("unsourced", "no sources"),
                           ("checked_not_signed", "checked against the texts, awaiting sign-off"),
                           ("signed_off", "signed off")):
            if row[key]:
                click.echo(f"  {label}: {', '.join(row[key])}")
        for report in row["error_reports"]:
            click.echo(f"  error report #{report['id']} ({report['service']}, {report['at'][:10]}): {report['text']}")
    signed = sum(len(r["signed_off"]) for r in rows)
    click.echo(f"\n{len(knowledge.services)} services: {signed} signed off by their office; "
               f"{len(reports)} open error report(s).")


@click.command()
@KNOWLEDGE_OPTION
@DATABASE_OPTION
@click.option("--since", "since_text", default="30d", show_default=True,
              help="Tell citizens given an older version this recently (a span such as 30d, or a date).")
@click.option("--old", "old_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A copy of the knowledge base before the edit: record corrections for what changed since.")
@click.option("--dry-run", is_flag=True, help="Say who would be told, and send nothing.")
def corrections(knowledge_dir, database_path, since_text, old_dir, dry_run):
    """Tell every citizen given an older version of a corrected service what changed.

    Corrections are recorded when the bot reloads a changed knowledge base (or here, with --old).
    Without --dry-run the notices are queued in the ledger; the running bot sends them, once per
    citizen and correction, within Telegram's limits. Example:

        python -m bot corrections --since 30d --dry-run
    """
    from bot.answering import corrections as notices
    from bot.knowledge.diff import diff_knowledge

    config = load_config(knowledge_dir, database_path)
    knowledge = load_knowledge_base(config.knowledge_dir)
    if not Path(config.database_path).is_file():
        click.echo(f"The ledger {config.database_path} does not exist yet: nobody has been told anything, so "
                   "there is nobody to correct.")
        return
    with contextlib.closing(open_ledger(config, writable=not dry_run)) as ledger:
        since = parse_moment(since_text, "--since", config)
        pending = []
        if old_dir:
            old = load_knowledge_base(old_dir)
            pending = notices.prepare(ledger, old, knowledge, diff_knowledge(old, knowledge), since=since,
                                      actor="cli", record=not dry_run)
        # A dry run says how many would be told (prepare counted them); a real run, how many were queued.
        items = [(p.correction, p.recipients) for p in pending] if dry_run else \
            [(c, None) for c in ledger.corrections_since(since)]
        if not items:
            click.echo(f"No corrections since {since.date().isoformat()}: nothing to tell anyone.")
            return
        for correction, count in items:
            fields = ", ".join(change["field"] for change in correction.changes)
            if dry_run:
                click.echo(f"{correction.service_id} ({fields}): {count} citizen(s) would be told")
            else:
                queued = notices.send(ledger, knowledge, correction, since)
                click.echo(f"{correction.service_id} ({fields}): {queued} notice(s) queued")


COMMANDS = (review, corrections)
