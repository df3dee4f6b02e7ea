"""python -m bot workdays add: check what a deadline becomes, for admins entering calendar.yaml."""

from __future__ import annotations

import datetime as dt

import click

from bot.cli.common import KNOWLEDGE_OPTION, load_config, load_knowledge_base


@click.group()
def workdays():
    """Working days and business hours, as case deadlines count them.

    Example:

        python -m bot workdays add 2026-09-30T16:30+08:00 2
    """


@workdays.command()
@click.argument("start", metavar="FROM")
@click.argument("hours", type=click.FloatRange(min=0, min_open=True, max=10000))
@KNOWLEDGE_OPTION
def add(start, hours, knowledge_dir):
    """Print the moment HOURS business hours after FROM (ISO 8601; local business time without an offset),
    then the holidays and make-up working days on the way, and what says so.

    Business hours are BUSINESS_HOURS_START to BUSINESS_HOURS_END; working days come from
    knowledge/calendar.yaml, the State Council's schedule (chinese-calendar), else BUSINESS_DAYS. Example:

        python -m bot workdays add 2026-09-30T16:30+08:00 2
    """
    from bot.records.workdays import WorkingTime

    config = load_config(knowledge_dir)
    business = config.business_hours
    try:
        moment = dt.datetime.fromisoformat(start)
    except ValueError:
        raise click.BadParameter(f"{start!r} is not an ISO 8601 time; write it like 2026-09-30T16:30+08:00.",
                                 param_hint="'FROM'") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=business.timezone)
    clock = WorkingTime(business, load_knowledge_base(config.knowledge_dir).calendar)
    due = clock.add(moment, hours).astimezone(business.timezone)
    click.echo(f"{due.isoformat(timespec='minutes')} ({due:%A})")
    for day, working, source in clock.exceptions(moment, due):
        click.echo(f"  {day.isoformat()} ({day:%a}) {'make-up working day' if working else 'not a working day'}: "
                   f"{source}")


COMMANDS = (workdays,)
