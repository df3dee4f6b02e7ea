"""Admins edit the knowledge base: /reload keeps the old version on errors, and swaps valid edits in."""

from __future__ import annotations

import pytest
import yaml

from tests.telegram_harness import ADMIN, CITIZEN, running_bot, sent_to
from tests.waiting import wait_until_async

pytestmark = pytest.mark.asyncio


def edit(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


async def test_a_malformed_edit_through_reload_keeps_the_old_version_serving(tmp_path, knowledge_copy):
    async with running_bot(tmp_path, knowledge_dir=knowledge_copy) as bot:
        old_version = bot.services.store.current.knowledge.version
        services = knowledge_copy / "services"
        (services / "passport.yaml").write_text(
            (services / "passport.yaml").read_text(encoding="utf-8").replace("name:\n  zh:", "name:\n  zh: [", 1),
            encoding="utf-8")
        edit(services / "legal_aid.yaml", lambda d: d.pop("steps"))
        edit(services / "notarization.yaml", lambda d: d["offices"].__setitem__(0, "notary_ofice"))
        bot.api.citizen_says(ADMIN, "/reload")
        [report] = await sent_to(bot, ADMIN, "未加载")
        text = report["params"]["text"]
        assert "knowledge/services/passport.yaml:" in text and "is not valid YAML" in text
        assert "knowledge/services/legal_aid.yaml:" in text and "has no 'steps'" in text
        assert "knowledge/services/notarization.yaml:" in text and "notary_ofice" in text
        assert bot.services.store.current.knowledge.version == old_version
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        await sent_to(bot, CITIZEN, "普通护照申领")
        assert bot.ledger.inquiries(str(CITIZEN))[0].kb_version == old_version


async def test_a_valid_edit_is_swapped_in_with_a_summary(tmp_path, knowledge_copy):
    async with running_bot(tmp_path, knowledge_dir=knowledge_copy) as bot:
        old_version = bot.services.store.current.knowledge.version
        edit(knowledge_copy / "services" / "passport.yaml",
             lambda d: d["fees"][0]["amount"].update(zh="每本100元", en="CNY 100 per passport"))
        bot.api.citizen_says(ADMIN, "/reload")
        [report] = await sent_to(bot, ADMIN, "知识库已重新加载")
        assert "~ changed: passport (fees)" in report["params"]["text"]
        new_version = bot.services.store.current.knowledge.version
        assert new_version != old_version and f"{old_version} → {new_version}" in report["params"]["text"]
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        [answer] = await sent_to(bot, CITIZEN, "每本100元")
        assert bot.ledger.inquiries(str(CITIZEN))[0].kb_version == new_version


async def test_the_watcher_reloads_changed_files(tmp_path, knowledge_copy):
    async with running_bot(tmp_path, knowledge_dir=knowledge_copy, knowledge_watch=True) as bot:
        edit(knowledge_copy / "services" / "passport.yaml", lambda d: d["aliases"].append("出国本本"))
        await sent_to(bot, ADMIN, "~ changed: passport (aliases)", timeout=20)
        await wait_until_async(lambda: "出国本本" in bot.services.store.current.knowledge.services["passport"].aliases)
