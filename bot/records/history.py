"""What a citizen was told, and what happened to a case: one chronological account from the ledger."""

from __future__ import annotations

import json

from bot.records.ledger import Ledger


def _clip(text: str | None, limit: int) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def case_history(ledger: Ledger, case_id: int, clip: int = 300) -> list[str] | None:
    """Every question, answer and event of a case in time order, or None if there is no such case."""
    case = ledger.case(case_id)
    if case is None:
        return None
    lines = [f"Case #{case_id} · user {case['user_id']} · {case['status']} · opened {case['opened_at']} · "
             f"due {case['due_at'] or '-'} · owner {case['owner_name'] or '-'}"]
    entries = []
    for row in ledger.db["inquiries"].rows_where("case_id = ?", [case_id], order_by="id"):
        entries.append((row["at"], 0, row["id"],
                        f"{row['at']} question ({row['channel']}): {_clip(row['text'], clip)}\n"
                        f"    → {row['action']} {row['service_id'] or ''} [kb {row['kb_version']}]: "
                        f"{_clip(row['reply'], clip)}"))
    for event in ledger.case_events(case_id):
        detail = json.loads(event["detail"] or "{}")
        text = detail.get("text") or detail.get("reason") or detail.get("name") or detail.get("to_name") or ""
        stars = f" {detail['stars']}★" if "stars" in detail else ""
        entries.append((event["at"], 1, event["id"],
                        f"{event['at']} {event['kind']}{stars} by {event['actor']}"
                        + (f": {_clip(str(text), clip)}" if text else "")))
    lines += [text for *_, text in sorted(entries)]
    return lines


def user_history(ledger: Ledger, user_id: str, clip: int = 300) -> list[str]:
    """Every question a user asked and the answer given, with the knowledge-base version, plus their cases."""
    lines = []
    case_ids = []
    for row in ledger.inquiries(user_id):
        lines.append(f"{row['at']} [{row['channel']}] {_clip(row['text'], clip)}\n"
                     f"    → {row['action']} {row['service_id'] or ''} [kb {row['kb_version']}]"
                     + (f" case #{row['case_id']}" if row["case_id"] else "") + f": {_clip(row['reply'], clip)}")
        if row["case_id"] and row["case_id"] not in case_ids:
            case_ids.append(row["case_id"])
    for case_id in case_ids:
        lines.append("")
        lines += case_history(ledger, case_id, clip) or []
    return lines
