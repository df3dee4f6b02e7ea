"""Admin commands. Only ADMIN_USER_IDS may use them."""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import Update
from telegram.ext import ContextTypes

from bot.answering import corrections
from bot.answering.assistant import ReloadResult
from bot.answering.messages import message
from bot.config import PRE_BLOCK_LIMIT
from bot.knowledge.files import content_version
from bot.telegram.formatting import esc, keyboard
from bot.telegram.sender import Sender
from bot.telegram.services import Services, services_of
from handlers.common import ID, is_admin, parse_callback, sender_for


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
        sender.text(update.effective_chat.id, esc(message("admin.only", "zh")), key="reload")
        return
    # Reading and checking YAML takes a moment: keep it off the event loop.
    result = await asyncio.to_thread(services.store.reload)
    text = reload_report(services, result)
    for start in range(0, len(text), PRE_BLOCK_LIMIT):
        sender.text(update.effective_chat.id, f"<pre>{esc(text[start:start + PRE_BLOCK_LIMIT])}</pre>",
                    key=f"reload:{start}")
    offer_corrections(services, result, sender, update.effective_chat.id, f"admin:{update.effective_user.id}")


def correction_window(services: Services) -> dt.datetime:
    return services.ledger.now() - dt.timedelta(days=services.config.correction_window_days)


def offer_corrections(services: Services, result: ReloadResult, sender: Sender, chat_id, actor: str) -> None:
    """After a reload that changed facts: how many citizens were told the older version, with [Notify them]."""
    if not result.loaded or result.previous is None:
        return
    pending = corrections.prepare(services.ledger, result.previous, services.store.current.knowledge, result.diff,
                                  since=correction_window(services), actor=actor)
    if not pending:
        return
    knowledge = services.store.current.knowledge
    lines, rows = [], []
    for item in pending:
        name = knowledge.services[item.correction.service_id].name.zh
        fields = "、".join(message(corrections.FIELD_NAMES[c["field"]], "zh") for c in item.correction.changes)
        lines.append(message("correction.pending", "zh", service=name, fields=fields, count=item.recipients,
                             days=int(services.config.correction_window_days)))
        if item.recipients:
            rows.append([(message("correction.button_notify", "zh", service=name), f"notify:{item.correction.id}")])
    if not rows:
        lines.append(message("correction.none", "zh"))
    sender.text(chat_id, esc("\n".join(lines)), key="corrections", keyboard=keyboard(rows) if rows else None)


async def notify_corrections(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Notify them]: queue the correction notice for every citizen told the older version (admins only)."""
    services = services_of(context)
    query = update.callback_query
    fields = parse_callback(query.data, "notify", ID)
    correction = services.ledger.correction(fields[0]) if fields else None
    if not is_admin(update, services) or correction is None:
        await query.answer(message("admin.only" if correction else "button.invalid", "zh"), show_alert=True)
        return
    await query.answer()
    count = corrections.send(services.ledger, services.store.current.knowledge, correction, correction_window(services))
    service = services.store.current.knowledge.services.get(correction.service_id)
    sender_for(update, context).text(update.effective_chat.id, esc(message(
        "correction.queued", "zh", service=service.name.zh if service else correction.service_id, count=count)),
        key="notified")


async def watch_knowledge(context: ContextTypes.DEFAULT_TYPE) -> None:
    """With KNOWLEDGE_WATCH=1: reload when the files change, and tell the admins what happened."""
    services = services_of(context)
    version = await asyncio.to_thread(content_version, services.store.directory)
    if version in (services.store.current.knowledge.version, context.job.data.get("failed")):
        return
    result = await asyncio.to_thread(services.store.reload, quality=False)  # the warnings are not shown
    context.job.data["failed"] = None if result.loaded else version  # report a broken version once
    text = f"<pre>{esc(reload_report(services, result, with_warnings=False)[:PRE_BLOCK_LIMIT])}</pre>"
    sender = Sender(services.outbox, f"watch:{version}")
    for admin in sorted(services.config.admin_user_ids):
        sender.text(admin, text, key=str(admin))
    if services.config.admin_user_ids:
        first_admin = min(services.config.admin_user_ids)
        offer_corrections(services, result, sender, first_admin, "watcher")
