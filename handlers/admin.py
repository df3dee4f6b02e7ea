"""Admin commands. Only ADMIN_USER_IDS may use them."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ContextTypes

from bot.answering.assistant import ReloadResult
from bot.answering.messages import message
from bot.config import PRE_BLOCK_LIMIT
from bot.knowledge.files import content_version
from bot.telegram.formatting import esc
from bot.telegram.sender import Sender
from bot.telegram.services import Services, services_of
from handlers.common import is_admin, sender_for


def reload_report(services: Services, result: ReloadResult, *, with_warnings: bool = True) -> str:
    """What a reload did: the version and changes, or every error and the version still serving."""
    if result.loaded:
        lines = ["✅ " + message("admin.reloaded", "zh")] + result.diff.lines()
        if with_warnings:
            lines += [str(p) for p in result.problems[:20]]
    else:
        errors = [p for p in result.problems if p.severity == "error"]
        lines = ["❌ " + message("admin.reload_failed", "zh", count=len(errors),
                                 version=services.store.current.knowledge.version)]
        lines += [str(p) for p in errors]
    return "\n".join(lines)


async def reload_knowledge(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Loads and validates the knowledge base; swaps it in if valid, else keeps the old one and lists every error."""
    services = services_of(context)
    sender = sender_for(update, context)
    if not is_admin(update, services):
        await sender.text(update.effective_chat.id, esc(message("admin.only", "zh")), key="reload")
        return
    # Reading and checking YAML takes a moment: keep it off the event loop.
    text = reload_report(services, await asyncio.to_thread(services.store.reload))
    for start in range(0, len(text), PRE_BLOCK_LIMIT):
        await sender.text(update.effective_chat.id, f"<pre>{esc(text[start:start + PRE_BLOCK_LIMIT])}</pre>",
                          key=f"reload:{start}")


async def watch_knowledge(context: ContextTypes.DEFAULT_TYPE) -> None:
    """With KNOWLEDGE_WATCH=1: reload when the files change, and tell the admins what happened."""
    services = services_of(context)
    version = await asyncio.to_thread(content_version, services.store.directory)
    if version in (services.store.current.knowledge.version, context.job.data.get("failed")):
        return
    result = await asyncio.to_thread(services.store.reload)
    context.job.data["failed"] = None if result.loaded else version  # report a broken version once
    text = f"<pre>{esc(reload_report(services, result, with_warnings=False)[:PRE_BLOCK_LIMIT])}</pre>"
    sender = Sender(services.outbox, f"watch:{version}")
    for admin in sorted(services.config.admin_user_ids):
        await sender.text(admin, text, key=str(admin))
