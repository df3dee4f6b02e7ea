"""What a citizen was told, and what happened to a case: one chronological account from the ledger.

Times are local business time, as the citizen was told them; the zone is named once, at the top.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.records.ledger import Ledger
from bot.records.rows import Inquiry
from bot.records.workdays import zone_label

UTC = ZoneInfo("UTC")


def _clip(text: str | None, limit: int) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _at(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S") if moment else "-"


def zone_line(zone: ZoneInfo) -> str:
    return f"Times in {zone_label(zone)}"


def _answered(inquiry: Inquiry, clip: int) -> str:
    return (f"    → {inquiry.action} {inquiry.service_id or ''} [kb {inquiry.kb_version}]"
            + (f" case #{inquiry.case_id}" if inquiry.case_id else "") + f": {_clip(inquiry.reply, clip)}")


def case_history(ledger: Ledger, case_id: int, clip: int = 300, zone: ZoneInfo = UTC) -> list[str] | None:
    """Every question, answer and event of a case in time order, or None if there is no such case."""
    case = ledger.case(case_id)
    if case is None:
        return None
    lines = [f"Case #{case_id} · user {case.user_id} · {case.status} · opened {_at(case.opened_at, zone)} · "
             f"due {_at(case.due_at, zone)} · owner {case.owner_name or '-'}"]
    entries = []
    for inquiry in ledger.inquiries_of_case(case_id):
        entries.append((inquiry.at, 0, inquiry.id,
                        f"{_at(inquiry.at, zone)} question ({inquiry.channel}): {_clip(inquiry.text, clip)}\n"
                        + _answered(inquiry, clip)))
    for event in ledger.case_events(case_id):
        detail = event.detail
        text = detail.get("text") or detail.get("reason") or detail.get("name") or detail.get("to_name") or ""
        stars = f" {detail['stars']}★" if "stars" in detail else ""
        entries.append((event.at, 1, event.id,
                        f"{_at(event.at, zone)} {event.kind}{stars} by {event.actor}"
                        + (f": {_clip(str(text), clip)}" if text else "")))
    lines += [text for *_, text in sorted(entries)]
    return lines


def user_history(ledger: Ledger, user_id: str, clip: int = 300, zone: ZoneInfo = UTC) -> list[str]:
    """Every question a user asked and the answer given, with the knowledge-base version, plus their cases."""
    lines = []
    case_ids = []
    for inquiry in ledger.inquiries(user_id):
        lines.append(f"{_at(inquiry.at, zone)} [{inquiry.channel}] {_clip(inquiry.text, clip)}\n" + _answered(inquiry, clip))
        if inquiry.case_id and inquiry.case_id not in case_ids:
            case_ids.append(inquiry.case_id)
    for case_id in case_ids:
        lines.append("")
        lines += case_history(ledger, case_id, clip, zone) or []
    return lines
