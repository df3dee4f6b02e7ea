"""python -m bot web: the web channel alone (the chat page, the JSON API and the counter desk)."""

from __future__ import annotations

import click

from bot.cli.common import DATABASE_OPTION, KNOWLEDGE_OPTION, load_config


@click.command()
@DATABASE_OPTION
@KNOWLEDGE_OPTION
@click.option("--host", default=None, help="Address to listen on (default: WEB_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: WEB_PORT or 8080).")
def web(database_path, knowledge_dir, host, port):
    """Serve the citizens' chat page (/), its JSON API (/api/v1/) and the counter desk (/desk).

    Needs no Telegram settings: cases are recorded in the ledger for staff to answer. To serve the
    web channel beside the Telegram bot, set WEB_PORT and use `python -m bot run`. The desk needs
    DESK_PASSWORD. It speaks plain HTTP: put an HTTPS proxy in front for the internet. Example:

        DESK_PASSWORD='long passphrase' python -m bot web --host 127.0.0.1 --port 8080
    """
    import asyncio
    import signal

    from bot.cli.common import open_assistant
    from bot.logs import configure_logging
    from bot.records.cases import CaseDesk
    from bot.web.app import WebStartError, serve_web
    from bot.web.services import build_web_services

    config = load_config(knowledge_dir, database_path)
    configure_logging(*config.secrets())
    assistant = open_assistant(config)
    desk = CaseDesk.from_config(assistant.ledger, config, working_time=assistant.working_time)
    services = build_web_services(config, assistant.ledger, assistant.store, assistant, desk)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve_web(services, host or config.web.host, port or config.web.port or 8080, stop)

    try:
        asyncio.run(main())
    except WebStartError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        assistant.ledger.close()


COMMANDS = (web,)
