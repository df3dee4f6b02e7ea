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


@click.command()
@click.option("--district", "district_name", default=None,
              help="Only the offices serving this district (its name, e.g. 洪山区, or id, e.g. hongshan), "
                   "and the city-level ones.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per office.")
def offices(district_name, as_json):
    """List the offices: city-level, the office types, and each district's own offices.

    Each has its level, district (none for city level), address (null while it is being
    confirmed), hours and phone. Example:

        python -m bot offices --district 洪山区 --json
    """
    knowledge = load_knowledge_base(load_config().knowledge_dir)
    district = None
    if district_name:
        district = next((d.id for d in knowledge.districts.values()
                         if district_name in (d.id, d.name.zh, d.name.en, *d.aliases)), None)
        if district is None:
            raise click.ClickException(f"There is no district {district_name!r}; use one of: "
                                       f"{', '.join(d.name.zh for d in knowledge.districts.values())}.")
    for office in knowledge.offices.values():
        if district and office.district not in (None, district):
            continue
        row = {"id": office.id, "name": office.name.zh, "name_en": office.name.en, "level": office.level,
               "type": office.type, "district": office.district,
               "address": office.address.zh if office.address else None, "hours": office.hours.zh if office.hours
               else None, "phone": office.phone, "to_confirm": office.to_confirm,
               "sources": [s.url or s.title for s in office.sources]}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            where = row["address"] or "地址正在核实 address being confirmed"
            click.echo(f"{office.id}  [{office.level}{'/' + office.district if office.district else ''}]  "
                       f"{row['name']}  {where}  {office.phone or '-'}")


@click.command()
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per matter.")
def catalogue(text, as_json):
    """List the city's other matters (政务服务事项) that have no full checklist here yet, with their office,
    or those whose name or aliases contain TEXT.

    A question about one of them is answered with its office and a case for staff (`refer`). Example:

        python -m bot catalogue 公积金 --json
    """
    knowledge = load_knowledge_base(load_config().knowledge_dir)
    for matter in knowledge.matters.values():
        names = (matter.name.zh, matter.name.en or "", *matter.aliases)
        if text and not any(text.lower() in name.lower() for name in names):
            continue
        office = knowledge.offices[matter.office]
        if as_json:
            click.echo(json.dumps({"id": matter.id, "name": matter.name.zh, "name_en": matter.name.en,
                                   "office": matter.office, "office_name": office.name.zh, "phone": office.phone,
                                   "kind": matter.kind, "sibling": matter.sibling, "aliases": list(matter.aliases)},
                                  ensure_ascii=False))
        else:
            click.echo(f"{matter.id}  {matter.name.zh}  → {office.name.zh} ({office.phone or '-'})")


COMMANDS = (validate, diff, offices, catalogue)
