"""What the commands share: options, configuration, and opening the knowledge base and the ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import click

from bot.config import Config, ConfigError

KNOWLEDGE_OPTION = click.option("--knowledge", "knowledge_dir", type=click.Path(path_type=Path), default=None,
                                help="Knowledge base folder (default: KNOWLEDGE_DIR or the bundled knowledge/).")
DATABASE_OPTION = click.option("--database", "database_path", type=click.Path(path_type=Path), default=None,
                               help="Ledger file (default: DATABASE_PATH or data/ledger.db).")


def load_config(knowledge_dir=None, database_path=None, telegram=False) -> Config:
    """The settings, with --knowledge and --database taking precedence; a bad setting is one clear line."""
    try:
        config = Config.from_env(telegram=telegram)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if knowledge_dir:
        config = replace(config, knowledge_dir=knowledge_dir)
    if database_path:
        config = replace(config, database_path=database_path)
    return config


def load_knowledge_base(directory: Path):
    from bot.knowledge.loading import KnowledgeError, load_knowledge

    try:
        return load_knowledge(directory)
    except KnowledgeError as exc:
        raise click.ClickException(f"{directory}: {exc}") from None


def open_assistant(config: Config):
    from bot.answering.assistant import Assistant, KnowledgeStore
    from bot.knowledge.loading import KnowledgeError

    try:
        store = KnowledgeStore(config.knowledge_dir, config.thresholds)
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from None
    return Assistant(store, _ledger(config.database_path), config)


def open_ledger(config: Config, writable: bool = False):
    """The configured ledger file; an error (not a new empty file) when it does not exist."""
    path = Path(config.database_path)
    if not path.is_file():
        raise click.ClickException(f"The ledger file {path} does not exist; pass --database PATH or set "
                                   "DATABASE_PATH to the file the bot writes.")
    return _ledger(path, writable)


def _ledger(path: Path, writable: bool = True):
    from bot.records.ledger import Ledger, LedgerError

    try:
        return Ledger(path, writable=writable)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from None


def parse_moment(text: str, option: str, config: Config) -> dt.datetime:
    from bot.records.ledger import utc_now
    from bot.supervision.report import parse_since

    try:
        return parse_since(text, utc_now(), config.business_hours.timezone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{option}'") from None
