"""Correction notices: everyone told an older version of a service's facts hears what changed.

The ledger holds exactly what each citizen was told and from which knowledge-base version. When a
reload changes a service's facts, a correction is recorded with each changed field's old and new
text; sending it queues one message per chat (once per chat and correction) through the outbox,
where Telegram's limits are kept, or the web session's inbox.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from bot.answering.messages import message
from bot.knowledge.diff import KnowledgeDiff
from bot.knowledge.model import LANGUAGES, KnowledgeBase, Service, Text
from bot.records.ledger import Ledger
from bot.records.rows import DESK, WEB, Correction, Inquiry

# The fields a citizen acts on (aliases, examples and provenance change nothing at the counter), with
# the checklist section that shows each.
FIELD_NAMES = {"eligibility": "section.eligibility", "documents": "section.documents", "offices": "section.offices",
               "steps": "section.steps", "time_limit": "section.time_limit", "fees": "section.fees",
               "online": "section.online", "legal_basis": "section.legal_basis",
               "refusal_reasons": "section.refusal", "appeal": "section.refusal"}
FACT_FIELDS = tuple(FIELD_NAMES)


@dataclass(frozen=True)
class Pending:
    """A recorded correction and how many chats were told the older version within the window."""

    correction: Correction
    recipients: int


def prepare(ledger: Ledger, previous: KnowledgeBase, current: KnowledgeBase, diff: KnowledgeDiff, *,
            since: dt.datetime, actor: str, record: bool = True) -> list[Pending]:
    """A correction for each service whose facts changed (recorded unless `record` is False, for a dry
    run), with the number of chats to tell."""
    offices_changed = set(diff.offices_changed)
    changed = {sid: set(fields) & set(FACT_FIELDS) for sid, fields in diff.changed}
    for sid, service in current.services.items():
        if sid in previous.services and offices_changed & set(service.offices):
            changed.setdefault(sid, set()).add("offices")
    pending = []
    for sid, fields in sorted(changed.items()):
        if not fields:
            continue
        old, new = previous.services[sid], current.services[sid]
        changes = [_change(f, old, previous, new, current) for f in FACT_FIELDS if f in fields]
        if record:
            correction = ledger.correction(ledger.record_correction(sid, previous.version, current.version, changes,
                                                                    actor))
        else:
            correction = Correction(0, ledger.now(), sid, current.version, tuple(changes), previous.version, actor)
        pending.append(Pending(correction, len(recipients(ledger, correction, since))))
    return pending


def recipients(ledger: Ledger, correction: Correction, since: dt.datetime) -> list[Inquiry]:
    """The latest answer per chat about the service from an older version, not yet told of this correction.
    A counter visit is recorded as told too, but has no chat to send a notice to."""
    return [inquiry for inquiry in ledger.told_before(correction.service_id, correction.new_version, since)
            if inquiry.channel != DESK]


def send(ledger: Ledger, knowledge: KnowledgeBase, correction: Correction, since: dt.datetime) -> int:
    """Queue the notice for every chat told the older version; each chat gets it once. Returns how many were queued."""
    service = knowledge.services.get(correction.service_id)
    queued = 0
    for inquiry in recipients(ledger, correction, since):
        if not ledger.record_notice(correction.id, inquiry):
            continue  # told already
        language = inquiry.language or "zh"
        text = notice(correction, service, inquiry, language)
        if inquiry.channel == WEB:
            ledger.post_to_inbox(inquiry.chat_id, "correction", text=text, service_id=correction.service_id)
        else:
            button = {"text": message("correction.button", language), "callback_data": f"svc:{correction.service_id}"}
            ledger.enqueue(inquiry.chat_id, "sendMessage",
                           {"chat_id": inquiry.chat_id, "text": html.escape(text, quote=False), "parse_mode": "HTML",
                            "reply_markup": {"inline_keyboard": [[button]]}},
                           dedupe_key=f"correction{correction.id}:{inquiry.chat_id}", purpose="correction")
        queued += 1
    ledger.mark_correction_notified(correction.id)
    return queued


def notice(correction: Correction, service: Service | None, inquiry: Inquiry, language: str) -> str:
    """The message: which checklist, when it was given, and each changed field, old → new."""
    name = service.name.get(language) if service else correction.service_id
    lines = [message("correction.notice", language, service=name, date=inquiry.at.date().isoformat())]
    for change in correction.changes:
        lines.append(message("correction.field", language, field=message(FIELD_NAMES[change["field"]], language),
                             old=Text.parse(change["old"]).get(language), new=Text.parse(change["new"]).get(language)))
    lines.append(message("correction.more", language))
    return "\n".join(lines)


def _change(field: str, old: Service, previous: KnowledgeBase, new: Service, current: KnowledgeBase) -> dict:
    """A field's old and new content in both languages; of a list, only the items that changed."""
    change = {"field": field, "old": {}, "new": {}}
    for language in LANGUAGES:
        before, after = _items(old, field, previous, language), _items(new, field, current, language)
        gone, added = [x for x in before if x not in after], [x for x in after if x not in before]
        join = "；" if language == "zh" else "; "
        change["old"][language] = _clip(join.join(gone or before) if gone or added else join.join(before)) or "—"
        change["new"][language] = _clip(join.join(added) if gone or added else join.join(after)) or "—"
    return change


def _items(service: Service, field: str, knowledge: KnowledgeBase, language: str) -> list[str]:
    today = dt.date.today()
    if field == "documents":
        return [d.name.get(language) for d in service.documents if d.in_force(today)]
    if field == "fees":
        return [f"{f.item.get(language)} {f.amount.get(language)}" for f in service.fees if f.in_force(today)] \
            or [message("fees.free", language)]
    if field == "time_limit":
        limit = service.time_limit.on(today)
        return [message("correction.limits", language, legal=limit.legal_days, committed=limit.committed_days)]
    if field == "offices":
        return [" ".join(filter(None, [o.name.get(language), o.address.get(language) if o.address else "", o.phone]))
                for o in (knowledge.offices[i] for i in service.offices)]
    if field == "online":
        return [service.online.channel.get(language)]
    if field in ("steps", "legal_basis", "refusal_reasons"):
        return [t.get(language) for t in getattr(service, field)]
    return [getattr(service, field).get(language)]


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
