"""python -m bot ...: a thin command line over the library. Every command's help has an example."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.config import Config, ConfigError
from bot.knowledge import KnowledgeError

KNOWLEDGE_OPTION = click.option("--knowledge", "knowledge_dir", type=click.Path(path_type=Path), default=None,
                                help="Knowledge base folder (default: KNOWLEDGE_DIR or the bundled knowledge/).")
DATABASE_OPTION = click.option("--database", "database_path", type=click.Path(path_type=Path), default=None,
                               help="Ledger file (default: DATABASE_PATH or data/ledger.db).")


def _config(knowledge_dir=None, database_path=None, telegram=False) -> Config:
    try:
        config = Config.from_env(telegram=telegram)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from dataclasses import replace

    if knowledge_dir:
        config = replace(config, knowledge_dir=knowledge_dir)
    if database_path:
        config = replace(config, database_path=database_path)
    return config


def _assistant(config: Config):
    from bot.assistant import Assistant, KnowledgeStore
    from bot.ledger import Ledger

    try:
        store = KnowledgeStore(config.knowledge_dir, config.thresholds)
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from None
    return Assistant(store, Ledger(config.database_path), config)


@click.group(invoke_without_command=True)
@click.pass_context
def cli(ctx):
    """A chat assistant for government service counters (一次性告知, 首问负责).

    With no command, starts the offline console chat. Example:

        python -m bot chat
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(chat)


@cli.command()
@KNOWLEDGE_OPTION
@DATABASE_OPTION
@click.option("--language", type=click.Choice(["zh", "en"]), default=None,
              help="Reply language (default: the language of each question).")
def chat(knowledge_dir, database_path, language):
    """Chat with the assistant in the console, offline, on the bundled knowledge base.

    Questions and answers are recorded in the local ledger; questions the assistant cannot
    answer are recorded as open cases. Example:

        python -m bot chat --language en
    """
    from bot.console import run_console

    config = _config(knowledge_dir, database_path)
    run_console(_assistant(config), language=language)


@cli.command()
@click.argument("question")
@KNOWLEDGE_OPTION
@DATABASE_OPTION
@click.option("--language", type=click.Choice(["zh", "en"]), default=None, help="Reply language.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision and reply as JSON.")
def ask(question, knowledge_dir, database_path, language, as_json):
    """Ask one question; print the decision and the reply.

    Example:

        python -m bot ask "身份证丢了怎么补办" --json
    """
    from bot.render import PLAIN

    assistant = _assistant(_config(knowledge_dir, database_path))
    reply = assistant.ask(question, channel="cli", user_id="cli", language=language, fmt=PLAIN)
    if as_json:
        click.echo(json.dumps({**reply.decision.as_dict(), "q": question, "language": reply.language,
                               "case": reply.case_id, "kb_version": reply.kb_version,
                               "reply": "\n\n".join(reply.messages)}, ensure_ascii=False))
    else:
        click.echo(f"[{reply.decision.action}] {reply.decision.service_id or ', '.join(reply.decision.options)} "
                   f"(score {reply.decision.score:.0f})\n")
        click.echo("\n\n".join(reply.messages))


@cli.command(name="eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@KNOWLEDGE_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question, then a JSON summary.")
@click.option("--min-accuracy", type=float, default=0.0, help="Fail below this top-1 accuracy on answerable questions.")
@click.option("--max-wrong", type=float, default=1.0, help="Fail above this wrong-answer rate on answerable questions.")
@click.option("--min-rejection", type=float, default=0.0, help="Fail below this out-of-scope rejection rate.")
@click.option("--min-clarified", type=float, default=0.0, help="Fail below this share of ambiguous questions clarified.")
@click.option("--min-short-clarified", type=float, default=0.0,
              help="Fail below this share of one- or two-word ambiguous questions clarified.")
def evaluate(file, knowledge_dir, as_json, min_accuracy, max_wrong, min_rejection, min_clarified, min_short_clarified):
    """Run a YAML set of test questions through the matcher and score it.

    FILE is a list of {q: text, expect: service_id | null | [ids]}: null means out of scope,
    a list means ambiguous (the bot must clarify with those services among the options).
    Exits 1 when a figure is below its threshold. Example:

        python -m bot eval tests/eval/questions_a.yaml --min-accuracy 0.9 --max-wrong 0.03
    """
    from bot.evaluation import evaluate_cases, load_cases
    from bot.matching import Matcher

    config = _config(knowledge_dir)
    try:
        cases = load_cases(file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        from bot.knowledge import load_knowledge

        matcher = Matcher(load_knowledge(config.knowledge_dir), config.thresholds)
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from None
    result = evaluate_cases(matcher, cases)
    if as_json:
        for row in result.rows:
            click.echo(json.dumps({k: row[k] for k in ("q", "action", "service", "options", "score", "expect")}
                                  | ({"event": row["event"]} if "event" in row else {}), ensure_ascii=False))
        click.echo(json.dumps({"summary": result.summary()}, ensure_ascii=False))
    else:
        for row in result.failures():
            click.echo(f"MISS  {row['q']!r}: expected {row['expect']}, got {row['action']} "
                       f"{row['service'] or ','.join(row['options'])} ({row['score']})")
        click.echo(result.summary_text())
    failed = result.below(min_accuracy=min_accuracy, max_wrong=max_wrong, min_rejection=min_rejection,
                          min_clarified=min_clarified, min_short_clarified=min_short_clarified)
    for line in failed:
        click.echo(f"Below threshold: {line}", err=True)
    sys.exit(1 if failed else 0)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), required=False)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for CI.")
def validate(directory, strict, as_json):
    """Check a knowledge base and report every problem at once, with file:line and the fix.

    Exits 1 on any error (with --strict, on any warning too). Example:

        python -m bot validate knowledge --strict
    """
    from bot.validation import check_directory, quality_warnings

    directory = directory or _config().knowledge_dir
    checked = check_directory(directory)
    problems = list(checked.problems)
    if not checked.errors:
        problems += quality_warnings(directory, checked)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if as_json:
        click.echo(json.dumps({"version": checked.version, "errors": len(errors), "warnings": len(warnings),
                               "problems": [p.as_dict() for p in problems]}, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        services = len(checked.raw.services)
        click.echo(f"{directory}: {services} services, {len(errors)} error(s), {len(warnings)} warning(s), "
                   f"version {checked.version or '-'}")
    sys.exit(1 if errors or (strict and warnings) else 0)


@cli.command()
def run():
    """Run the Telegram bot, configured from the environment (and .env).

    Polls for updates, or serves a webhook when WEBHOOK_URL is set. Needs at least
    TELEGRAM_BOT_TOKEN and STAFF_CHAT_ID. Example:

        TELEGRAM_BOT_TOKEN=123:ABC... STAFF_CHAT_ID=-1001234567890 python -m bot run
    """
    import asyncio

    from telegram.error import InvalidToken

    from bot.app import serve
    from bot.logs import configure_logging

    config = _config(telegram=True)
    secrets = [config.token.reveal()] + ([config.webhook_secret.reveal()] if config.webhook_secret else [])
    redact = configure_logging(*secrets)
    try:
        asyncio.run(serve(config))
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from None
    except InvalidToken:
        raise click.ClickException("The Bot API rejected TELEGRAM_BOT_TOKEN; copy it again from @BotFather.") from None
    except Exception as exc:  # noqa: BLE001 - one clear line, never the token
        raise click.ClickException(redact.redact(f"The bot stopped: {type(exc).__name__}: {exc}")) from None


@cli.command()
@click.argument("old_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("new_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def diff(old_dir, new_dir):
    """Summarise what changed between two knowledge bases: services added, removed, changed (which fields).

    Use it to review an edit before merging or reloading. Exits 1 if NEW_DIR has errors. Example:

        python -m bot diff /srv/knowledge knowledge
    """
    from bot.diff import diff_knowledge
    from bot.knowledge import load_knowledge

    try:
        old = load_knowledge(old_dir)
    except KnowledgeError as exc:
        raise click.ClickException(f"{old_dir}: {exc}") from None
    try:
        new = load_knowledge(new_dir)
    except KnowledgeError as exc:
        raise click.ClickException(f"{new_dir}: {exc}") from None
    click.echo("\n".join(diff_knowledge(old, new).lines()))


def main() -> None:
    cli(prog_name="python -m bot")


if __name__ == "__main__":  # pragma: no cover
    main()


# Commands that live in their own modules register themselves on import.
from bot import cli_bench, cli_dashboard, cli_supervision  # noqa: E402,F401
