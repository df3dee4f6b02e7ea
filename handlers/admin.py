"""Admin commands. Only ADMIN_USER_IDS may use them."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.services import services_of
from bot.answering.messages import message
from handlers.common import esc, is_admin


async def reload_knowledge(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Loads and validates the knowledge base; swaps it in if valid, else keeps the old one and lists every error."""
    services = services_of(context)
    key = f"u{update.update_id}:reload"
    if not is_admin(update, services):
        await services.outbox.send_text(update.effective_chat.id, esc(message("admin.only", "zh")), dedupe_key=key)
        return
    # Reading and checking YAML takes a moment: keep it off the event loop.
    result = await asyncio.to_thread(services.store.reload)
    if result.loaded:
        lines = ["✅ " + message("admin.reloaded", "zh")] + result.diff.lines()
        lines += [str(p) for p in result.problems[:20]]
    else:
        errors = [p for p in result.problems if p.severity == "error"]
        lines = ["❌ " + message("admin.reload_failed", "zh", count=len(errors),
                                 version=services.store.current.knowledge.version)]
        lines += [str(p) for p in errors]
    text = "\n".join(lines)
    for start in range(0, len(text), 3800):
        await services.outbox.send_text(update.effective_chat.id, f"<pre>{esc(text[start:start + 3800])}</pre>",
                                        dedupe_key=f"{key}:{start}")


async def watch_knowledge(context: ContextTypes.DEFAULT_TYPE) -> None:
    """With KNOWLEDGE_WATCH=1: reload when the files change, and tell the admins what happened."""
    from bot.knowledge.files import content_version

    services = services_of(context)
    version = await asyncio.to_thread(content_version, services.store.directory)
    if version in (services.store.current.knowledge.version, context.job.data.get("failed")):
        return
    result = await asyncio.to_thread(services.store.reload)
    context.job.data["failed"] = None if result.loaded else version  # report a broken version once
    if result.loaded:
        lines = ["✅ " + message("admin.reloaded", "zh")] + result.diff.lines()
    else:
        errors = [p for p in result.problems if p.severity == "error"]
        lines = ["❌ " + message("admin.reload_failed", "zh", count=len(errors),
                                 version=services.store.current.knowledge.version)] + [str(p) for p in errors]
    text = f"<pre>{esc(chr(10).join(lines)[:3800])}</pre>"
    for admin in sorted(services.config.admin_user_ids):
        await services.outbox.send_text(admin, text, dedupe_key=f"watch:{version}:{admin}")
