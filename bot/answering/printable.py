"""A checklist to take along: a standalone, printable HTML page with tick boxes."""

from __future__ import annotations

import datetime as dt
import html

from bot.answering.messages import message
from bot.knowledge.model import Event, KnowledgeBase, Service

_STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:760px;
margin:24px auto;padding:0 16px;color:#111;line-height:1.5}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;border-bottom:2px solid #b71c1c;padding-bottom:2px;margin-top:22px}
.meta{color:#555;font-size:13px}.note{background:#fff8e1;border-left:4px solid #f9a825;padding:8px 12px;font-size:13px}
ul.check{list-style:none;padding-left:0}ul.check li{margin:8px 0;padding-left:30px;position:relative}
ul.check li:before{content:"";position:absolute;left:0;top:2px;width:18px;height:18px;border:2px solid #333;border-radius:3px}
.small{color:#444;font-size:13px}.office{margin:8px 0}
@media print{body{margin:0}.note{break-inside:avoid}}
"""


def _e(text: str | None) -> str:
    return html.escape(text or "")


def printable_checklist(knowledge: KnowledgeBase, language: str, *, service: Service | None = None,
                        event: Event | None = None, answers: dict[str, bool] | None = None,
                        issued: dt.date | None = None) -> str:
    """The page for one service or one life event; only the documents that apply to the answers."""
    issued = issued or dt.date.today()
    answers = answers or {}
    services = [service] if service else [knowledge.services[s.service_id] for s in event.steps if s.applies(answers)]
    title = (service or event).name.get(language)
    parts = [f"<!doctype html><html lang=\"{'zh-CN' if language == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">",
             f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{_e(title)}</h1>",
             f"<div class=\"meta\">{_e(message('file.title', language))} · "
             f"{_e(message('file.issued', language, date=issued.isoformat(), version=knowledge.version))}</div>",
             f"<p class=\"note\">{_e(message('file.complete', language, date=issued.isoformat()))}<br>"
             f"{_e(message('file.checkbox_hint', language))}</p>"]
    conditions = service.conditions if service else event.conditions
    answered = [c for c in conditions if c.id in answers]
    if answered:
        parts.append(f"<h2>{_e(message('section.answers', language))}</h2><ul>")
        parts += [f"<li>{_e(c.question.get(language))} {_e(message('yes' if answers[c.id] else 'no', language))}</li>"
                  for c in answered]
        parts.append("</ul>")
    seen = set()
    parts.append(f"<h2>{_e(message('section.documents', language))}</h2><ul class=\"check\">")
    for item in services:
        for document in item.documents:
            if not (document.applies(answers) and document.in_force(issued)) or document.name.zh in seen:
                continue
            seen.add(document.name.zh)
            form = message(f"quantity.{document.form}", language, n=document.copies) if document.copies \
                else message(f"form.{document.form}", language)
            condition_id = document.condition or document.unless
            condition = item.condition(condition_id) if condition_id and condition_id not in answers else None
            maybe = f" <span class=\"small\">{_e(message('document.if_applicable', language))} " \
                    f"{_e(condition.question.get(language))}</span>" if condition else ""
            parts.append(f"<li><b>{_e(document.name.get(language))}</b> ({_e(form)}){maybe}<br>"
                         f"<span class=\"small\">{_e(message('source', language, text=document.source.get(language)))}"
                         + (f"<br>{_e(message('notes', language, text=document.notes.get(language)))}"
                            if document.notes else "") + "</span></li>")
    parts.append("</ul>")
    parts.append(f"<h2>{_e(message('section.offices', language))}</h2>")
    for office_id in dict.fromkeys(o for item in services for o in item.offices):
        office = knowledge.offices[office_id]
        parts.append(f"<div class=\"office\"><b>{_e(office.name.get(language))}</b><br>"
                     f"{_e(message('office.address', language, text=office.address.get(language)))}<br>"
                     f"{_e(message('office.hours', language, text=office.hours.get(language)))}<br>"
                     f"{_e(message('office.phone', language, text=office.phone))}</div>")
    parts.append(f"<h2>{_e(message('section.steps', language))}</h2>")
    for item in services:
        if len(services) > 1:
            parts.append(f"<p><b>{_e(item.name.get(language))}</b></p>")
        parts.append("<ol>" + "".join(f"<li>{_e(step.get(language))}</li>" for step in item.steps) + "</ol>")
        limit = item.time_limit.on(issued)
        fees = "；".join(f"{f.item.get(language)} {f.amount.get(language)}" for f in item.fees if f.in_force(issued)) \
            or message("fees.free", language)
        colon = "：" if language == "zh" else ": "
        committed = message("time_limit.committed", language, days=limit.committed_days) if limit.committed_days \
            else message("time_limit.committed_immediate", language)
        parts.append(f"<p class=\"small\">{_e(committed)} · {_e(message('section.fees', language))}{colon}{_e(fees)}"
                     f"<br>{_e(message('section.online', language))}{colon}{_e(item.online.channel.get(language))}</p>")
    parts.append("</body></html>")
    return "".join(parts)
