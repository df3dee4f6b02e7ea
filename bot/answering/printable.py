"""A checklist to take along: a standalone, printable HTML page with tick boxes.

The page is rendered from the same Checklist as the Telegram and console messages, so it lists the
same documents and offices, and in full the sources the checklist's last line only names.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from bot.answering.checklist import (
    DOCUMENTS,
    FOOTER,
    OFFICES,
    TITLE,
    Checklist,
    Item,
    event_checklist,
    service_checklist,
)
from bot.answering.messages import message
from bot.knowledge.model import Event, KnowledgeBase, Service

_STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:760px;
margin:24px auto;padding:0 16px;color:#111;line-height:1.5}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;border-bottom:2px solid #b71c1c;padding-bottom:2px;margin-top:22px}
.meta{color:#555;font-size:13px}.note{background:#fff8e1;border-left:4px solid #f9a825;padding:8px 12px;font-size:13px}
ul.check{list-style:none;padding-left:0}ul.check li{margin:8px 0;padding-left:30px;position:relative}
ul.check li:before{content:"";position:absolute;left:0;top:2px;width:18px;height:18px;border:2px solid #333;
border-radius:3px}
.small{color:#444;font-size:13px}.office{margin:8px 0}ul.plain{padding-left:18px}
@media print{body{margin:0}.note{break-inside:avoid}}
"""


def _e(text: str | None) -> str:
    return html.escape(text or "")


def _item(item: Item) -> str:
    head = f"<b>{_e(item.head)}</b>" if item.head else ""  # tick boxes number the documents
    lines = "".join(f"<br><span class=\"small\">{_e(line)}</span>" for line in item.lines)
    link = f"<br><a href=\"{_e(item.link)}\">{_e(item.link)}</a>" if item.link else ""
    return f"{head}{_e(item.text)}{lines}{link}"


def printable_page(checklist: Checklist, issued: dt.date) -> str:
    """The page: documents with tick boxes, offices with their addresses, every other part, then the sources."""
    language = checklist.language
    parts = [f"<!doctype html><html lang=\"{'zh-CN' if language == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">",
             f"<title>{_e(checklist.title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{_e(checklist.title)}</h1>",
             f"<div class=\"meta\">{_e(message('file.title', language))} · "
             f"{_e(message('file.issued', language, date=issued.isoformat(), version=checklist.version))}</div>",
             f"<p class=\"note\">{_e(message('file.complete', language, date=issued.isoformat()))}<br>"
             f"{_e(message('file.checkbox_hint', language))}</p>"]
    for part in checklist.parts:
        if part.key == TITLE:
            parts += [f"<p>{_e(line)}</p>" for item in part.items for line in item.lines]
        elif part.key == FOOTER:
            parts += [f"<p class=\"meta\">{_item(item)}</p>" for item in part.items]
        elif part.key == OFFICES:
            parts.append(f"<h2>{_e(part.title)}</h2>")
            parts += [f"<div class=\"office\">{_item(item)}</div>" for item in part.items]
        else:
            kind = "check" if part.key == DOCUMENTS else "plain"
            parts.append(f"<h2>{_e(part.title)}</h2><ul class=\"{kind}\">")
            parts += [f"<li>{_item(item)}</li>" for item in part.items]
            parts.append("</ul>")
    if checklist.sources:
        parts.append(f"<h2>{_e(message('file.sources', language))}</h2><ul class=\"plain\">")
        parts += [f"<li class=\"small\">{_e(source)}</li>" for source in checklist.sources]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "".join(parts)


def printable_checklist(knowledge: KnowledgeBase, language: str, *, service: Service | None = None,
                        event: Event | None = None, answers: dict[str, bool] | None = None,
                        issued: dt.date | None = None, district: str | None = None) -> str:
    """The page for one service or one life event; only the documents that apply to the answers."""
    issued = issued or dt.date.today()
    build = service_checklist if service else event_checklist
    checklist = build(service or event, knowledge, language, answers=answers, today=issued, district=district)
    return printable_page(checklist, issued)


@dataclass(frozen=True)
class PrintableFile:
    filename: str
    html: str


def checklist_file(knowledge: KnowledgeBase, language: str, target: str | None, is_event: bool, *,
                   answers: dict[str, bool] | None, issued: dt.date) -> PrintableFile | None:
    """The page of an inquiry's service or life event (Inquiry.target) and the name every channel saves it
    under; None when there is no target, or the knowledge base no longer has it."""
    item = (knowledge.events if is_event else knowledge.services).get(target) if target else None
    if item is None:
        return None
    page = printable_checklist(knowledge, language, answers=answers, issued=issued,
                               **({"event": item} if is_event else {"service": item}))
    return PrintableFile(f"checklist-{target}-{issued.isoformat()}.html", page)
