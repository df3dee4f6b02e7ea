"""python -m bot ...: a thin command line over the library. Every command's help has an example."""

from __future__ import annotations

import click

from bot.cli import answering, backups, bench, cases, dashboard, knowledge, run, supervision, trust, web, workdays


@click.group(invoke_without_command=True)
@click.pass_context
def cli(ctx):
    """A chat assistant for government service counters (一次性告知, 首问负责).

    With no command, starts the offline console chat. Example:

        python -m bot chat
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(answering.chat)


for module in (answering, cases, knowledge, trust, run, web, supervision, backups, dashboard, bench, workdays):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="python -m bot")
