"""The supervision dashboard: a real ledger, `python -m bot dashboard` as a process, Debian's Chromium."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.answering.assistant import Assistant, KnowledgeStore
from bot.answering.render import PLAIN
from bot.cli.main import cli
from bot.config import BUNDLED_KNOWLEDGE, Config
from bot.knowledge.loading import load_knowledge
from bot.records.cases import CaseDesk, Staff
from bot.records.ledger import Ledger, utc_now
from bot.supervision.dashboard import (
    DATABASE_NAME,
    HASH_VARIABLE,
    METADATA_FILE,
    SUPERVISOR,
    DashboardError,
    build_datasette,
    load_metadata,
    password_hash,
)
from tests.browser import chromium
from tests.process import free_port
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple 监察"
LATE_QUESTION = "我家狗狗走丢了怎么办"
IN_TIME_QUESTION = "What is the capital of France?"
LIVE_QUESTION = "请问怎么给小区装路灯"


class MovableClock:
    """The ledger's clock, moved by the test: a case opened days ago is really past its due time."""

    def __init__(self, offset: dt.timedelta = dt.timedelta()):
        self.offset = offset

    def __call__(self) -> dt.datetime:
        return utc_now() + self.offset


@dataclass
class Counter:
    """A ledger written through the real answering and case paths."""

    ledger: Ledger
    assistant: Assistant
    desk: CaseDesk
    clock: MovableClock


def open_counter(path: Path) -> Counter:
    clock = MovableClock()
    ledger = Ledger(path, clock=clock)
    config = Config(database_path=path)
    assistant = Assistant(KnowledgeStore(BUNDLED_KNOWLEDGE), ledger, config)
    return Counter(ledger, assistant, CaseDesk(ledger, config.business_hours), clock)


def fill_ledger(counter: Counter) -> dict[str, int]:
    """An overdue case (opened ten days ago), a case still in time, and a citizen who asked for a person."""
    counter.clock.offset = -dt.timedelta(days=10)
    late = counter.assistant.ask(LATE_QUESTION, channel="telegram", user_id="101", chat_id="101", fmt=PLAIN)
    counter.clock.offset += dt.timedelta(minutes=5)
    counter.desk.claim(late.case_id, Staff("7", "王芳"))
    counter.clock.offset = dt.timedelta()
    for alert in counter.desk.alerts(counter.clock()):  # the supervision job marks it overdue
        counter.desk.record_alert(alert)
    in_time = counter.assistant.ask(IN_TIME_QUESTION, channel="telegram", user_id="102", chat_id="102", fmt=PLAIN)
    answered = counter.assistant.ask("身份证丢了怎么补办", channel="telegram", user_id="103", chat_id="103", fmt=PLAIN)
    asked = counter.assistant.ask_person(answered.inquiry_id, user_id="103")
    counter.ledger.record_feedback(answered.inquiry_id, "103", "ask_person")
    counter.assistant.report_error("派出所说要先挂失", channel="telegram", user_id="103", chat_id="103",
                                   inquiry_id=answered.inquiry_id)
    assert late.case_id and in_time.case_id and asked.case_id
    assert counter.ledger.case(late.case_id).overdue_at
    assert not counter.ledger.case(in_time.case_id).overdue_at
    return {"late": late.case_id, "in_time": in_time.case_id, "asked": asked.case_id}


def row_counts(ledger: Ledger) -> dict[str, int]:
    return {name: ledger.db[name].count for name in ledger.db.table_names()}


def file_digests(path: Path) -> dict[str, str]:
    """The database file and its WAL: a reader that wrote nothing leaves both byte for byte."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (path, path.with_name(path.name + "-wal")) if p.exists()}


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@contextmanager
def running_dashboard(database: Path, log: Path, **env):
    """`python -m bot dashboard` on a free port of 127.0.0.1; yields its base URL once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "dashboard", "--database", str(database), "--port", str(port)],
        cwd=ROOT, env={**os.environ, **env}, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    try:
        def answering() -> bool:
            if process.poll() is not None:
                pytest.fail(f"The dashboard exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                return http_status(f"{url}/-/login") == 200
            except OSError:
                return False

        try:
            wait_until(answering, 60, "the dashboard to answer")
        except AssertionError as exc:
            pytest.fail(f"{exc}:\n{log.read_text(errors='replace')}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def table_column(page, column: str) -> list[str]:
    return page.locator(f"table.rows-and-columns td.col-{column}").all_inner_texts()


def test_supervisor_sees_overdue_cases_in_chromium_and_nothing_is_written(tmp_path):
    database = tmp_path / "ledger.db"
    counter = open_counter(database)  # stays open: the new rows live in the WAL file, not yet checkpointed
    cases = fill_ledger(counter)
    log = tmp_path / "dashboard.log"
    try:
        with running_dashboard(database, log, DASHBOARD_PASSWORD=PASSWORD) as url:
            # A case opened while the dashboard runs shows up: the WAL is read, unlike in immutable mode.
            live = counter.assistant.ask(LIVE_QUESTION, channel="telegram", user_id="104", chat_id="104", fmt=PLAIN)
            assert database.with_name("ledger.db-wal").stat().st_size > 0
            counts, digests = row_counts(counter.ledger), file_digests(database)

            with chromium() as browser:
                page = browser.new_page()
                refused = page.goto(f"{url}/{DATABASE_NAME}/overdue_cases")
                assert refused.status == 403 or "/-/login" in page.url
                assert LATE_QUESTION not in page.content()

                page.goto(f"{url}/-/login")
                page.fill("#id_username", SUPERVISOR)
                page.fill("#id_password", "wrong password")
                page.click("input[type=submit]")
                assert "Invalid username or password" in page.content()

                page.fill("#id_username", SUPERVISOR)
                page.fill("#id_password", PASSWORD)
                page.click("input[type=submit]")
                page.wait_for_url(f"{url}/")

                shown = page.goto(f"{url}/{DATABASE_NAME}/overdue_cases")
                assert shown.status == 200
                assert table_column(page, "case_id") == [str(cases["late"])]
                assert table_column(page, "question") == [LATE_QUESTION]
                assert table_column(page, "owner_name") == ["王芳"]
                assert IN_TIME_QUESTION not in page.content()

                page.goto(f"{url}/{DATABASE_NAME}/open_cases_by_age")
                assert table_column(page, "case_id") == [str(cases["late"]), str(cases["in_time"]),
                                                         str(cases["asked"]), str(live.case_id)]

                for path in (f"/{DATABASE_NAME}?sql=select+1", f"/{DATABASE_NAME}.json?sql=select+1",
                             f"/{DATABASE_NAME}/cases?_where=1%3D1"):
                    assert page.goto(url + path).status == 403, path

                queries = page.context.request
                for name in load_metadata(load_knowledge(BUNDLED_KNOWLEDGE))["databases"][DATABASE_NAME]["queries"]:
                    params = f"&case_id={cases['late']}" if name == "case_history" else ""
                    response = queries.get(f"{url}/{DATABASE_NAME}/{name}.json?_shape=objects{params}")
                    assert response.status == 200, name
                    assert response.json()["ok"] and response.json()["rows"], name

                history = queries.get(f"{url}/{DATABASE_NAME}/case_history.json?_shape=objects"
                                      f"&case_id={cases['late']}").json()["rows"]
                assert [row["what"] for row in history] == ["opened", "escalate", "claimed", "overdue"]
                unanswered = queries.get(f"{url}/{DATABASE_NAME}/unanswered_questions.json?_shape=objects").json()
                assert "citizen asked for a person" in {row["why"] for row in unanswered["rows"]}
                offices = queries.get(f"{url}/{DATABASE_NAME}/per_office_performance.json?_shape=objects").json()
                assert "police_household_desk" in {row["office_id"] for row in offices["rows"]}

        assert row_counts(counter.ledger) == counts
        assert file_digests(database) == digests
        assert PASSWORD not in log.read_text(encoding="utf-8", errors="replace")
    finally:
        counter.ledger.close()


async def test_the_ledger_connection_cannot_write(tmp_path, monkeypatch):
    database = tmp_path / "ledger.db"
    counter = open_counter(database)
    fill_ledger(counter)
    before = row_counts(counter.ledger)
    monkeypatch.setenv(HASH_VARIABLE, "")  # build_datasette sets it; restored after the test
    datasette = build_datasette(database, load_metadata(load_knowledge(BUNDLED_KNOWLEDGE)), "unused")
    ledger_db = datasette.get_database(DATABASE_NAME)
    assert (await ledger_db.execute("PRAGMA query_only")).first()[0] == 1
    with pytest.raises(sqlite3.OperationalError, match="readonly|query_only"):
        await ledger_db.execute("DELETE FROM cases")
    with pytest.raises(DashboardError, match="never writes"):
        await ledger_db.execute_write("DELETE FROM cases")
    assert set(datasette.databases) == {DATABASE_NAME, "_internal"}  # no _memory database to run SQL in
    assert row_counts(counter.ledger) == before
    counter.ledger.close()


def test_without_the_password_the_dashboard_does_not_start(tmp_path):
    Ledger(tmp_path / "ledger.db").close()
    result = CliRunner().invoke(cli, ["dashboard", "--database", str(tmp_path / "ledger.db"),
                                      "--password-env", "DASHBOARD_TEST_PASSWORD"],
                                env={"DASHBOARD_TEST_PASSWORD": None})
    assert result.exit_code == 1
    assert result.output == ("Error: The environment variable DASHBOARD_TEST_PASSWORD is not set: put the "
                             "supervisors' password in DASHBOARD_TEST_PASSWORD (or in .env) and start the "
                             "dashboard again.\n")


def test_a_missing_ledger_is_one_error_without_the_password(tmp_path):
    missing = tmp_path / "nowhere" / "ledger.db"
    result = CliRunner().invoke(cli, ["dashboard", "--database", str(missing)], env={"DASHBOARD_PASSWORD": PASSWORD})
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {missing}: there is no ledger file here;")
    assert result.output.count("\n") == 1
    assert PASSWORD not in result.output
    assert not missing.exists()


def test_a_write_query_in_the_metadata_stops_the_start(tmp_path):
    metadata = yaml.safe_load(METADATA_FILE.read_text(encoding="utf-8"))
    metadata["databases"][DATABASE_NAME]["queries"]["close_all"] = {"sql": "update cases set status = 'closed'",
                                                                     "write": True}
    path = tmp_path / "metadata.yaml"
    path.write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DashboardError, match="'close_all' is a write query"):
        load_metadata(load_knowledge(BUNDLED_KNOWLEDGE), path)


def test_every_canned_query_is_for_the_supervisor_only():
    metadata = load_metadata(load_knowledge(BUNDLED_KNOWLEDGE))
    assert metadata["allow"] == {"id": SUPERVISOR} and metadata["allow_sql"] is False
    queries = metadata["databases"][DATABASE_NAME]["queries"]
    assert {name for name, query in queries.items() if query.get("allow") != {"id": SUPERVISOR}} == set()
    assert "__SERVICE_OFFICES__" not in json.dumps(queries)


def test_the_password_hash_is_computed_from_the_named_variable():
    hashed = password_hash({"SUPERVISOR_PW": PASSWORD}, "SUPERVISOR_PW")
    assert hashed.startswith("pbkdf2_sha256$") and PASSWORD not in hashed
    with pytest.raises(DashboardError, match="SUPERVISOR_PW is not set"):
        password_hash({"SUPERVISOR_PW": "  "}, "SUPERVISOR_PW")
