"""python -m bot run: the Telegram bot."""

from __future__ import annotations

import click

from bot.cli.common import load_config


@click.command()
def run():
    """Run the Telegram bot, configured from the environment (and .env).

    Polls for updates, or serves a webhook when WEBHOOK_URL is set. Needs at least
    TELEGRAM_BOT_TOKEN and STAFF_CHAT_ID. With WEB_PORT set, the web channel (chat page, API,
    counter desk) is served in the same process, and its cases reach the staff chat. Example:

        TELEGRAM_BOT_TOKEN=123:ABC... STAFF_CHAT_ID=-1001234567890 python -m bot run
    """
    import asyncio

    from bot.knowledge.loading import KnowledgeError
    from bot.logs import configure_logging
    from bot.records.lease import LeaseLost
    from bot.records.ledger import LedgerError, LedgerLost
    from bot.telegram.app import serve
    from bot.telegram.services import StartupError
    from bot.web.app import WebStartError

    config = load_config(telegram=True)
    redact = configure_logging(*config.secrets())
    try:
        asyncio.run(serve(config))
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from None
    except (StartupError, WebStartError, LedgerError, LedgerLost, LeaseLost) as exc:
        raise click.ClickException(redact.redact(str(exc))) from None
    except Exception as exc:  # noqa: BLE001 - one clear line, never the token
        raise click.ClickException(redact.redact(f"The bot stopped: {type(exc).__name__}: {exc}")) from None


COMMANDS = (run,)
