"""Knowledge files read defensively, the version as the hash of the bytes parsed, and reloads in a child process.

A YAML alias bomb, a huge or odd file, a reload that runs out of time or memory: each is refused with a
sentence naming the file or the limit, and the bot keeps answering with the version it had.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading

import pytest
import yaml

from bot.knowledge.files import content_version
from bot.knowledge.validation import check_directory
from tests.process import ROOT, memory_cap
from tests.telegram_harness import ADMIN, running_bot, sent_to

LEVELS = 9  # 10**9 strings once expanded: gigabytes
ALIAS_BOMB = "\n".join([f"a0: &a0 [{', '.join(['lol'] * 10)}]"] +
                       [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, LEVELS)]) + "\n"


def write_bomb(directory) -> str:
    (directory / "services" / "zz_bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    return "knowledge/services/zz_bomb.yaml"


UNSAFE = {
    "alias bomb": (ALIAS_BOMB.encode(), "anchors and aliases"),
    "too large": (b"# " + b"x" * (1024 * 1024) + b"\nid: zz\n", "larger than 1024 KiB"),
    "deep nesting": (b"id: " + b"[" * 200 + b"]" * 200 + b"\n", "levels deep"),
    "not UTF-8": (b"id: \xff\xfe\n", "not UTF-8"),
    "huge number": (b"id: " + b"9" * 5000 + b"\n", "cannot be read"),
}


@pytest.mark.parametrize("name", list(UNSAFE))
def test_an_unsafe_file_is_refused_with_a_sentence_naming_it(knowledge_copy, name):
    content, expected = UNSAFE[name]
    (knowledge_copy / "services" / "zz.yaml").write_bytes(content)
    checked = check_directory(knowledge_copy)
    [problem] = [p for p in checked.problems if p.file == "knowledge/services/zz.yaml"]
    assert expected in problem.message and problem.severity == "error"


def test_a_fifo_among_the_files_is_refused_instead_of_hanging(knowledge_copy):
    os.mkfifo(knowledge_copy / "services" / "zz.yaml")  # reading it would wait for a writer forever
    checked = check_directory(knowledge_copy)
    assert any(p.file == "knowledge/services/zz.yaml" and "not a regular file" in p.message for p in checked.problems)


def test_validate_refuses_an_alias_bomb_at_once_within_a_memory_cap(knowledge_copy):
    """The command runs under a 1 GiB address-space cap: expanding the bomb would fail with MemoryError."""
    name = write_bomb(knowledge_copy)
    result = subprocess.run([sys.executable, "-m", "bot", "validate", str(knowledge_copy)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, preexec_fn=memory_cap(1024))
    assert result.returncode == 1, result.stderr[-2000:]
    assert f"{name}:1: the file defines the YAML anchor &a0" in result.stdout
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr


def test_the_version_is_the_hash_of_the_bytes_parsed_while_a_file_changes(knowledge_copy, tmp_path):
    """A writer swaps passport.yaml between two versions while the checker runs again and again: the version
    recorded always belongs to the content that was parsed."""
    for path in [*(knowledge_copy / "services").glob("*.yaml"), *(knowledge_copy / "events").glob("*.yaml")]:
        if path.name != "passport.yaml":
            path.unlink()
    passport = knowledge_copy / "services" / "passport.yaml"
    first = passport.read_bytes()
    second = first.replace("每本120元".encode(), "每本100元".encode())
    assert second != first
    versions = {}
    for name, content in (("first", first), ("second", second)):  # each version on its own, standing still
        still = tmp_path / name
        shutil.copytree(knowledge_copy, still)
        (still / "services" / "passport.yaml").write_bytes(content)
        versions[content] = content_version(still)
    stop = threading.Event()

    def writer():
        flip = False
        while not stop.is_set():
            temporary = passport.with_suffix(".tmp")
            temporary.write_bytes(second if flip else first)
            os.replace(temporary, passport)  # each read sees one whole version or the other
            flip = not flip

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen = set()
        for _ in range(40):
            checked = check_directory(knowledge_copy)
            [(_, data)] = checked.raw.services
            parsed = second if "每本100元" in yaml.safe_dump(data, allow_unicode=True) else first
            seen.add(parsed)
            assert checked.version == versions[parsed], "the version recorded is not that of the content loaded"
    finally:
        stop.set()
        thread.join()
    assert len(seen) == 2, "the writer never changed the file during a check; the test proves nothing"


# -- /reload: a child process with memory and time limits --------------------------------------------

@pytest.mark.asyncio
@pytest.mark.parametrize("limits, reason", [
    ({"reload_timeout_seconds": 0.05}, "took longer than 0.05 s (RELOAD_TIMEOUT_SECONDS)"),
    ({"reload_memory_mb": 40}, "needed more than 40 MB of memory (RELOAD_MEMORY_MB)"),
], ids=["time", "memory"])
async def test_a_reload_over_its_limits_is_refused_with_the_reason(tmp_path, knowledge_copy, limits, reason):
    async with running_bot(tmp_path, knowledge_dir=knowledge_copy, **limits) as bot:
        old_version = bot.services.store.current.knowledge.version
        bot.api.citizen_says(ADMIN, "/reload")
        [report] = await sent_to(bot, ADMIN, "未加载", timeout=30)
        assert reason in report["params"]["text"] and old_version in report["params"]["text"]
        assert bot.services.store.current.knowledge.version == old_version
        assert bot.ledger.cases() == [] and not bot.api.sent(bot.api.staff_chat_id)
