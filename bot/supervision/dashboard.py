"""The supervision dashboard: the ledger in the browser, read-only, behind a password (Datasette).

Datasette's immutable mode (-i) ignores the WAL file, so it would miss the rows the bot wrote since
the last checkpoint. The ledger is therefore opened as a normal database, which Datasette only
reads through `file:...?mode=ro` connections, and this module closes every way to write or to run
other SQL:

- LedgerDatabase refuses Datasette's write connection (only write queries and plugins ask for it)
  and sets PRAGMA query_only on every read connection;
- execute-sql is denied (metadata `allow_sql: false` and the default_allow_sql setting), so only the
  canned queries of dashboard/metadata.yaml run, and a write canned query stops the start;
- every page needs the supervisor login (datasette-auth-passwords), with a password hash computed at
  start from an environment variable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from datasette.app import Datasette
from datasette.database import Database
from datasette_auth_passwords.utils import hash_password

from bot.config import PROJECT_ROOT
from bot.knowledge.model import KnowledgeBase

log = logging.getLogger(__name__)
METADATA_FILE = PROJECT_ROOT / "dashboard" / "metadata.yaml"
DATABASE_NAME = "ledger"  # pages are /ledger/<query> whatever the file is called
SUPERVISOR = "supervisor"  # the login name, and the actor id the metadata allows
PASSWORD_VARIABLE = "DASHBOARD_PASSWORD"
OFFICES_PLACEHOLDER = "__SERVICE_OFFICES__"
# The hash reaches the plugin through the environment, so /-/metadata.json shows only this name.
HASH_VARIABLE = "DASHBOARD_SUPERVISOR_PASSWORD_HASH"
SETTINGS = {
    "default_allow_sql": False,
    "allow_download": False,
    "suggest_facets": False,
    "sql_time_limit_ms": 5000,  # the performance queries read the whole ledger
}


class DashboardError(Exception):
    """The dashboard cannot start"""


class LedgerDatabase(Database):
    """The live ledger file, read through read-only connections only."""

    def connect(self, write=False):
        if write:
            raise DashboardError("The supervision dashboard never writes to the ledger.")
        connection = super().connect(write=False)  # file:...?mode=ro
        connection.execute("PRAGMA query_only = ON")  # a second lock, should the URI ever change
        return connection


def password_hash(env: Mapping[str, str], variable: str = PASSWORD_VARIABLE) -> str:
    """Hash the supervisors' password from the environment; the password itself goes no further."""
    password = env.get(variable) or ""
    if not password.strip():
        raise DashboardError(f"The environment variable {variable} is not set: put the supervisors' password in "
                             f"{variable} (or in .env) and start the dashboard again.")
    return hash_password(password)


def lead_offices(knowledge: KnowledgeBase) -> dict[str, list[str]]:
    """Each service's lead office (the first it lists): {service_id: [office_id, office name]}."""
    mapping = {}
    for service in knowledge.services.values():
        if service.offices:
            office_id = service.offices[0]
            office = knowledge.offices.get(office_id)
            mapping[service.id] = [office_id, office.name.zh if office else office_id]
    return mapping


def sql_json_literal(value) -> str:
    """JSON text to put inside a quoted SQL string of a canned query."""
    text = json.dumps(value, ensure_ascii=False).replace("'", "''")
    # Datasette takes every ":word" in a canned query for a parameter, even inside a string.
    return re.sub(r":(?=\w)", r"\\u003a", text)


def load_metadata(knowledge: KnowledgeBase, path: Path = METADATA_FILE) -> dict:
    """The dashboard metadata, checked to be read-only, with the office mapping filled in."""
    metadata = yaml.safe_load(path.read_text(encoding="utf-8"))
    queries = metadata.get("databases", {}).get(DATABASE_NAME, {}).get("queries", {})
    offices = sql_json_literal(lead_offices(knowledge))
    for name, query in queries.items():
        if query.get("write"):
            raise DashboardError(f"{path}: the canned query '{name}' is a write query; the dashboard is read-only, "
                                 f"remove 'write: true' from it.")
        query["sql"] = query["sql"].replace(OFFICES_PLACEHOLDER, offices)
    if metadata.get("allow_sql") is not False:
        raise DashboardError(f"{path}: 'allow_sql: false' is missing at the top; supervisors must not run their "
                             f"own SQL, put it back.")
    return metadata


def build_datasette(database: Path, metadata: dict, password_hash: str) -> Datasette:
    """A Datasette app over the ledger file alone, with the supervisor login configured."""
    database = Path(database)
    if not database.is_file():
        raise DashboardError(f"{database}: there is no ledger file here; pass --database with the ledger the bot "
                             f"writes (DATABASE_PATH, by default data/ledger.db).")
    os.environ[HASH_VARIABLE] = password_hash
    metadata = {**metadata, "plugins": {"datasette-auth-passwords": {
        f"{SUPERVISOR}_password_hash": {"$env": HASH_VARIABLE},
        "actors": {SUPERVISOR: {"id": SUPERVISOR}},
    }}}
    datasette = Datasette(files=[], metadata=metadata, settings=SETTINGS)
    datasette.remove_database("_memory")  # added when no file is given; it would accept any SQL
    datasette.add_database(LedgerDatabase(datasette, path=str(database.resolve())), name=DATABASE_NAME)
    return datasette


async def check_ledger(datasette: Datasette) -> None:
    """Fail at start, not on the first page, when the file cannot be read or is not a ledger."""
    database = datasette.get_database(DATABASE_NAME)
    try:
        tables = await database.table_names()
    except Exception as exc:  # noqa: BLE001 - sqlite3 errors name no file; say which one
        raise DashboardError(f"{database.path}: cannot be read ({exc}); check the path and that this user may read "
                             f"the file and its folder.") from None
    if "cases" not in tables or "inquiries" not in tables:
        raise DashboardError(f"{database.path} is not the bot's ledger (it has no cases or inquiries table); pass "
                             f"--database with the ledger the bot writes.")


async def serve(datasette: Datasette, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM. Logging goes through the root logger (set up by the caller)."""
    import uvicorn

    await datasette.invoke_startup()
    await check_ledger(datasette)
    log.info("Supervision dashboard for %s at http://%s:%s/-/login (user: %s)",
             datasette.get_database(DATABASE_NAME).path, host, port, SUPERVISOR)
    config = uvicorn.Config(datasette.app(), host=host, port=port, lifespan="on", log_config=None)
    await uvicorn.Server(config).serve()


def run(database: Path, knowledge: KnowledgeBase, env: Mapping[str, str], *, host: str = "127.0.0.1",
        port: int = 8001, password_variable: str = PASSWORD_VARIABLE) -> None:
    """Start the dashboard: everything the `dashboard` command does after reading its options."""
    hashed = password_hash(env, password_variable)
    datasette = build_datasette(database, load_metadata(knowledge), hashed)
    asyncio.run(serve(datasette, host, port))
