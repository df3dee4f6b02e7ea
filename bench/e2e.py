"""End to end: the real Application, polling the fake Bot API, answering a burst of citizens.

The fake Bot API (bot/telegram/fake_bot_api.py) runs in a process of its own, as Telegram would be on
another machine, so that its HTTP handling does not share the bot's interpreter lock. All the
questions are queued at once, one per citizen; the clock runs from the moment they are queued
until the last message to a citizen arrives at the fake server.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from pathlib import Path

QUIET_SECONDS = 1.0  # no message for this long after every citizen has one: the burst is done
FIRST_USER = 700_000


def serve_fake_api(conn, timeout: float) -> None:
    """In a child process: run the fake Bot API, queue the questions, report when they are answered."""
    from bot.telegram.fake_bot_api import FakeBotApi

    api = FakeBotApi().start()
    try:
        conn.send({"base_url": api.base_url, "token": api.token, "staff_chat_id": api.staff_chat_id})
        questions = conn.recv()
        users = range(FIRST_USER, FIRST_USER + len(questions))
        started = time.time()
        for user, question in zip(users, questions, strict=False):
            api.citizen_says(user, question)
        conn.send(_watch(api, set(users), started, timeout))
        conn.recv()  # the bot has stopped
    finally:
        api.stop()


def _watch(api, citizens: set[int], started: float, timeout: float) -> dict:
    """Follow the messages sent until every citizen has an answer and the bot has gone quiet."""
    while True:
        sent = api.sent(method="sendMessage")
        to_citizens = [r for r in sent if r["params"].get("chat_id") in citizens]
        first: dict[int, float] = {}
        for record in to_citizens:
            first.setdefault(record["params"]["chat_id"], record["at"])
        last = max((r["at"] for r in to_citizens), default=started)
        now = time.time()
        if (len(first) == len(citizens) and now - last > QUIET_SECONDS) or now - started > timeout:
            break
        time.sleep(0.05)
    delays = sorted(at - started for at in first.values())
    return {
        "questions": len(citizens),
        "answered": len(first),
        "seconds": last - started,
        "first_reply_p50_seconds": delays[len(delays) // 2] if delays else None,
        "first_reply_max_seconds": delays[-1] if delays else None,
        "messages_to_citizens": len(to_citizens),
        "messages_to_staff": sum(1 for r in api.sent() if r["params"].get("chat_id") == api.staff_chat_id),
        "timed_out": len(first) < len(citizens),
        "fake_api_cpu_seconds": time.process_time(),
    }


def e2e_run(kb_dir: Path, workdir: Path, questions: list[str], timeout: float) -> dict:
    """Start the fake Bot API, run the bot against it, push the questions, return the figures."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    fake = context.Process(target=serve_fake_api, args=(theirs, timeout), daemon=True)
    fake.start()
    try:
        result = asyncio.run(_drive(ours, kb_dir, workdir, questions))
    finally:
        fake.join(timeout=10)
        if fake.is_alive():
            fake.terminate()
    result["answered_per_second"] = result["answered"] / result["seconds"] if result["seconds"] > 0 else None
    return result


async def _drive(conn, kb_dir: Path, workdir: Path, questions: list[str]) -> dict:
    from bot.config import Config, Secret
    from bot.telegram.app import build_application, start_services
    from bot.telegram.delivery import run_outbox
    from bot.telegram.polling import poll

    api = conn.recv()
    config = Config(token=Secret(api["token"]), api_url=api["base_url"], staff_chat_id=api["staff_chat_id"],
                    knowledge_dir=kb_dir, database_path=workdir / "e2e.db", poll_timeout_seconds=1,
                    supervision_interval_seconds=3600)
    application = build_application(config, rate_limit=False)
    services = application.bot_data["services"]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    async with application:
        await start_services(application)
        tasks = [asyncio.create_task(poll(application, stop)),
                 asyncio.create_task(run_outbox(services.outbox, stop))]
        try:
            cpu_before = time.process_time()  # the burst only, not the start-up
            conn.send(questions)
            result = await loop.run_in_executor(None, conn.recv)
            result["bot_cpu_seconds"] = time.process_time() - cpu_before
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await application.stop()
            services.ledger.close()
    conn.send("stopped")
    return result
