"""python -m bot chat | ask | eval: the answering path from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.cli.common import DATABASE_OPTION, KNOWLEDGE_OPTION, load_config, load_knowledge_base, open_assistant
from bot.knowledge.model import LANGUAGES


@click.command()
@KNOWLEDGE_OPTION
@DATABASE_OPTION
@click.option("--language", type=click.Choice(LANGUAGES), default=None,
              help="Reply language (default: the language of each question).")
def chat(knowledge_dir, database_path, language):
    """Chat with the assistant in the console, offline, on the bundled knowledge base.

    Questions and answers are recorded in the local ledger; questions the assistant cannot
    answer are recorded as open cases. Example:

        python -m bot chat --language en
    """
    from bot.cli.console import run_console

    config = load_config(knowledge_dir, database_path)
    run_console(open_assistant(config), language=language)


@click.command()
@click.argument("question")
@KNOWLEDGE_OPTION
@DATABASE_OPTION
@click.option("--language", type=click.Choice(LANGUAGES), default=None, help="Reply language.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision and reply as JSON.")
def ask(question, knowledge_dir, database_path, language, as_json):
    """Ask one question; print the decision and the reply.

    Example:

        python -m bot ask "身份证丢了怎么补办" --json
    """
    from bot.answering.render import PLAIN

    assistant = open_assistant(load_config(knowledge_dir, database_path))
    reply = assistant.ask(question, channel="cli", user_id="cli", language=language, fmt=PLAIN)
    if as_json:
        click.echo(json.dumps({**reply.decision.as_dict(), "q": question, "language": reply.language,
                               "case": reply.case_id, "kb_version": reply.kb_version,
                               "reply": "\n\n".join(reply.messages)}, ensure_ascii=False))
    else:
        click.echo(f"[{reply.decision.action}] {reply.decision.service_id or ', '.join(reply.decision.options)} "
                   f"(score {reply.decision.score:.0f})\n")
        click.echo("\n\n".join(reply.messages))


@click.command(name="eval")
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
    from bot.answering.evaluation import evaluate_cases, load_cases
    from bot.answering.matching import Matcher

    config = load_config(knowledge_dir)
    try:
        cases = load_cases(file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    matcher = Matcher(load_knowledge_base(config.knowledge_dir), config.thresholds)
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


COMMANDS = (chat, ask, evaluate,)
