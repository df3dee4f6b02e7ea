"""python -m bot dashboard: the supervision dashboard, a thin command over bot/dashboard.py."""

from __future__ import annotations

import click

from bot.cli.common import DATABASE_OPTION, KNOWLEDGE_OPTION, load_config, load_knowledge_base
from bot.config import environment


@click.command()
@DATABASE_OPTION
@KNOWLEDGE_OPTION
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The dashboard speaks plain HTTP: for other machines, keep 127.0.0.1 "
                   "and put an HTTPS proxy in front.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="Port to listen on.")
@click.option("--password-env", "password_variable", default="DASHBOARD_PASSWORD", show_default=True,
              help="Environment variable holding the supervisors' password.")
def dashboard(database_path, knowledge_dir, host, port, password_variable):
    """Serve the ledger read-only to supervisors in the browser (Datasette), behind a password.

    Supervisors log in at /-/login as "supervisor" with the password from DASHBOARD_PASSWORD,
    then open the canned queries: open cases by age, overdue cases, performance per service and
    per office, questions that went to a person, and one case's full history. Nobody can run
    their own SQL or change the ledger. Example:

        DASHBOARD_PASSWORD='long passphrase' python -m bot dashboard --port 8001
    """
    from bot.logs import configure_logging
    from bot.supervision.dashboard import DashboardError, run

    config = load_config(knowledge_dir, database_path)
    env = environment()
    configure_logging(env.get(password_variable) or "")  # the password never reaches a log line
    knowledge = load_knowledge_base(config.knowledge_dir)
    try:
        run(config.database_path, knowledge, env, host=host, port=port, password_variable=password_variable)
    except DashboardError as exc:
        raise click.ClickException(str(exc)) from None


COMMANDS = (dashboard,)
