"""Render the one-reply checklist (一次性告知) and the assistant's other messages.

Two formats: Telegram HTML, where everything that comes from YAML or a citizen is escaped, and
plain text for the console. A Telegram message holds at most 4,096 characters; a longer
checklist is split at section boundaries, and inside a section only between items.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

from bot.answering.messages import message
from bot.answering.offices import Stop, needs_district, where_to_go
from bot.answering.tailoring import conditions_of
from bot.config import TELEGRAM_MESSAGE_LIMIT
from bot.knowledge.model import KnowledgeBase, Matter, Service

TELEGRAM_LIMIT = TELEGRAM_MESSAGE_LIMIT
HTML, PLAIN = "html", "text"
MATTER_OPTION = "matter:"  # clarification options that are catalogue matters (see bot.answering.matching)


@dataclass(frozen=True)
class _Style:
    fmt: str

    def esc(self, text: str) -> str:
        return html.escape(text, quote=False) if self.fmt == HTML else text

    def bold(self, text: str) -> str:
        return f"<b>{self.esc(text)}</b>" if self.fmt == HTML else text

    def heading(self, text: str) -> str:
        return f"<b>{self.esc(text)}</b>" if self.fmt == HTML else f"【{text}】"

    def link(self, url: str) -> str:
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(url, quote=False)}</a>' if self.fmt == HTML else url


@dataclass(frozen=True)
class Section:
    """A titled block of items; a split never falls inside an item."""

    title: str
    items: tuple[str, ...]


def checklist_sections(
    service: Service,
    knowledge: KnowledgeBase,
    language: str,
    fmt: str = HTML,
    answers: dict[str, bool] | None = None,
    today: dt.date | None = None,
    district: str | None = None,
) -> list[Section]:
    """Every part of a one-time notification, as sections in reading order."""
    today = today or dt.date.today()
    answers = answers or {}
    s = _Style(fmt)
    t = lambda text: s.esc(text.get(language))  # noqa: E731 - local shorthand keeps the layout readable

    sections = [Section("", (s.bold(service.name.get(language)),))]
    if answers:
        lines = []
        for condition in service.conditions:
            if condition.id in answers:
                reply = message("yes" if answers[condition.id] else "no", language)
                lines.append(f"• {t(condition.question)} {s.esc(reply)}")
        sections.append(Section(message("section.answers", language), tuple(lines)))
    sections.append(Section(message("section.eligibility", language), (t(service.eligibility),)))

    documents = _document_lines(service, language, s, answers, today)
    sections.append(Section(message("section.documents", language), tuple(documents)))

    offices = _office_lines(service.offices, knowledge, language, s, district)
    sections.append(Section(message("section.offices", language), tuple(offices)))

    sections.append(Section(message("section.steps", language),
                            tuple(f"{i}. {t(step)}" for i, step in enumerate(service.steps, 1))))

    limits = _time_limit_lines(service, language, s, today)
    sections.append(Section(message("section.time_limit", language), tuple(limits)))

    fees = [f"• {t(f.item)}：{t(f.amount)}" if language == "zh" else f"• {t(f.item)}: {t(f.amount)}"
            for f in service.fees if f.in_force(today)]
    fees += [s.esc(message("fees.scheduled", language, date=f.effective_from.isoformat(), item=f.item.get(language),
                           amount=f.amount.get(language)))
             for f in service.fees if f.scheduled_after(today)]
    sections.append(Section(message("section.fees", language), tuple(fees) or (s.esc(message("fees.free", language)),)))

    online = [s.esc(message("online.available" if service.online.available else "online.unavailable", language)),
              t(service.online.channel)]
    if service.online.url:
        online.append(s.link(service.online.url))
    sections.append(Section(message("section.online", language), tuple(online)))
    sections.append(Section(message("section.legal_basis", language), tuple(f"• {t(b)}" for b in service.legal_basis)))
    refusal = [f"• {t(r)}" for r in service.refusal_reasons]
    refusal.append(s.esc(message("appeal", language, text=service.appeal.get(language))))
    sections.append(Section(message("section.refusal", language), tuple(refusal)))
    footer = message("footer", language, updated=service.updated.isoformat(), version=knowledge.version)
    if answers:
        footer = message("footer.tailored", language) + "\n" + footer
    sections.append(Section("", (s.esc(footer),)))
    return sections


def _document_lines(service: Service, language: str, s: _Style, answers: dict[str, bool], today: dt.date) -> list[str]:
    """The documents that apply to the answers (all of them when untailored), numbered, with where to get each."""
    documents = []
    for document in service.documents:
        scheduled = document.scheduled_after(today)
        if not document.applies(answers) or not (document.in_force(today) or scheduled):
            continue
        detail = s.esc(message(f"quantity.{document.form}", language, n=document.copies) if document.copies
                       else message(f"form.{document.form}", language))
        brackets = "（{}）" if language == "zh" else " ({})"
        lines = [f"{len(documents) + 1}. {s.bold(document.name.get(language))}{brackets.format(detail)}"]
        for key, condition_id in (("condition.if", document.condition), ("condition.unless", document.unless)):
            condition = service.condition(condition_id) if condition_id else None
            if condition and condition_id not in answers:
                lines.append("   " + s.esc(message(key, language, question=condition.question.get(language))))
        if scheduled:
            lines.append("   " + s.esc(message("document.scheduled", language, date=document.effective_from.isoformat())))
        lines.append("   " + s.esc(message("source", language, text=document.source.get(language))))
        if document.notes:
            lines.append("   " + s.esc(message("notes", language, text=document.notes.get(language))))
        documents.append("\n".join(lines))
    return documents


def _office_lines(office_ids: tuple[str, ...], knowledge: KnowledgeBase, language: str, s: _Style,
                  district: str | None) -> list[str]:
    """Each office with address, hours and phone, the citizen's district first; the first one marked
    when there are several, and a hint to name the district when that would give an address."""
    stops = where_to_go(office_ids, knowledge, district)
    lines = [_office_text(stop, language, s, first=i == 0 and len(stops) > 1) for i, stop in enumerate(stops)]
    if needs_district(office_ids, knowledge, district):
        lines.append(s.esc(message("office.choose_district", language)))
    return lines


def _office_text(stop: Stop, language: str, s: _Style, first: bool = False) -> str:
    office = stop.office
    lines = [s.bold(office.name.get(language)) + (" " + s.esc(message("office.first", language)) if first else "")]
    if office.address:
        lines.append(s.esc(message("office.address", language, text=office.address.get(language))))
    else:
        lines[0] += " " + s.esc(message("office.to_confirm", language))
    if stop.instead:
        lines.append(s.esc(message("office.ask_centre", language, centre=stop.instead.name.get(language),
                                   address=stop.instead.address.get(language), phone=stop.instead.phone or "12345")))
    if office.hours:
        lines.append(s.esc(message("office.hours", language, text=office.hours.get(language))))
    if office.phone:
        lines.append(s.esc(message("office.phone", language, text=office.phone)))
    if office.chief_representative:
        lines.append(s.esc(message("office.chief", language, text=office.chief_representative.get(language))))
    return "\n".join(lines)


def _time_limit_lines(service: Service, language: str, s: _Style, today: dt.date) -> list[str]:
    """The statutory and committed limits in force today, and any change already scheduled."""
    limit = service.time_limit.on(today)
    limits = []
    if limit.legal_days == 0:
        limits.append(s.esc(message("time_limit.immediate", language)))
    else:
        limits.append(s.esc(message("time_limit.legal", language, days=limit.legal_days)))
        limits.append(s.esc(message("time_limit.committed", language, days=limit.committed_days)
                            if limit.committed_days else message("time_limit.committed_immediate", language)))
    for change in service.time_limit.changes:
        if change.scheduled_after(today):
            limits.append(s.esc(message("time_limit.change", language, date=change.effective_from.isoformat(),
                                        legal=change.legal_days if change.legal_days is not None else limit.legal_days,
                                        committed=change.committed_days if change.committed_days is not None else limit.committed_days)))
    if service.time_limit.notes:
        limits.append(s.esc(service.time_limit.notes.get(language)))
    return limits


def render_checklist(service: Service, knowledge: KnowledgeBase, language: str, fmt: str = HTML,
                     answers: dict[str, bool] | None = None, today: dt.date | None = None,
                     limit: int = TELEGRAM_LIMIT, district: str | None = None) -> list[str]:
    """The complete checklist as one message, or as few as the length limit allows."""
    sections = checklist_sections(service, knowledge, language, fmt, answers, today, district)
    return split_sections(sections, _Style(fmt), message("continued", language), limit)


def split_sections(sections: list[Section], style: _Style, continued: str, limit: int) -> list[str]:
    """Pack sections into messages of at most `limit` characters, breaking only between items."""
    blocks = []  # (text, starts_section)
    for section in sections:
        title = style.heading(section.title) if section.title else ""
        items = list(section.items)
        first = "\n".join(filter(None, [title, items[0] if items else ""]))
        blocks.append((first, True))
        blocks.extend((item, False) for item in items[1:])
    messages, current = [], ""
    marker = style.esc(continued) + "\n"
    for text, starts_section in blocks:
        for piece in _hard_wrap(text, limit) if len(text) > limit else [text]:
            separator = "\n\n" if starts_section else "\n"
            if not current:
                current = piece
            elif len(current) + len(separator) + len(piece) <= limit:
                current += separator + piece
            else:
                messages.append(current)
                # A message that starts inside a section says it continues the previous one.
                current = piece if starts_section or len(marker) + len(piece) > limit else marker + piece
            starts_section = False
    if current:
        messages.append(current)
    return messages


def _hard_wrap(text: str, limit: int) -> list[str]:
    # Break at line ends where possible, so HTML tags (which never span lines here) stay whole.
    pieces, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    pieces.append(current)
    return pieces


def event_sections(event, knowledge: KnowledgeBase, language: str, fmt: str = HTML,
                   answers: dict[str, bool] | None = None, today: dt.date | None = None) -> list[Section]:
    """One merged checklist for a life event: steps in order, each document and office once."""
    today = today or dt.date.today()
    answers = answers or {}
    s = _Style(fmt)
    steps = [step for step in event.steps if step.applies(answers)]
    services = [knowledge.services[step.service_id] for step in steps]
    sections = [Section("", (s.bold(event.name.get(language)),)
                        + ((s.esc(event.description.get(language)),) if event.description else ()))]
    if answers:
        lines = [f"• {s.esc(c.question.get(language))} {s.esc(message('yes' if answers[c.id] else 'no', language))}"
                 for c in conditions_of(knowledge, event.id, True) if c.id in answers]
        sections.append(Section(message("section.answers", language), tuple(lines)))

    step_lines = []
    for number, (step, service) in enumerate(zip(steps, services, strict=False), 1):
        office = knowledge.offices[service.offices[0]].name.get(language)
        line = f"{number}. {s.bold(service.name.get(language))} — {s.esc(office)}"
        for key, condition_id in (("condition.step", step.condition), ("condition.step_unless", step.unless)):
            condition = event.condition(condition_id) if condition_id else None
            if condition and condition_id not in answers:
                line += " " + s.esc(message(key, language, question=condition.question.get(language)))
        if step.note:
            line += f"（{s.esc(step.note.get(language))}）" if language == "zh" else f" ({s.esc(step.note.get(language))})"
        step_lines.append(line)
    sections.append(Section(message("event.steps", language), tuple(step_lines)))

    merged: dict[str, list] = {}  # document name -> [document, [service names]]
    for service in services:
        for document in service.documents:
            if not (document.in_force(today) and document.applies(answers)):
                continue
            key = _document_key(document.name.zh)
            entry = merged.setdefault(key, [document, []])
            if service.name.get(language) not in entry[1]:
                entry[1].append(service.name.get(language))
    documents = []
    for number, (document, used_by) in enumerate(merged.values(), 1):
        form = message(f"form.{document.form}", language)
        maybe = " " + s.esc(message("document.if_applicable", language)) \
            if {document.condition, document.unless} - {None} - set(answers) else ""
        documents.append(f"{number}. {s.bold(document.name.get(language))} ({s.esc(form)}){maybe}\n   "
                         + s.esc(message("event.used_for", language, services="、".join(used_by) if language == "zh"
                                         else "; ".join(used_by))))
    sections.append(Section(message("event.documents", language), tuple(documents)))

    offices = []
    for office_id in dict.fromkeys(o for service in services for o in service.offices):
        office = knowledge.offices[office_id]
        first = " " + s.esc(message("office.first", language)) if not offices else ""
        offices.append("\n".join([f"{s.bold(office.name.get(language))}{first}",
                                   s.esc(message("office.address", language, text=office.address.get(language))),
                                   s.esc(message("office.hours", language, text=office.hours.get(language))),
                                   s.esc(message("office.phone", language, text=office.phone))]))
    sections.append(Section(message("event.offices", language), tuple(offices)))

    limits = []
    for service in services:
        limit = service.time_limit.on(today)
        fees = "；".join(f"{f.item.get(language)} {f.amount.get(language)}" for f in service.fees if f.in_force(today)) \
            or message("fees.free", language)
        key = "event.immediate_line" if limit.committed_days == 0 else "event.limit_line"
        limits.append(s.esc(message(key, language, service=service.name.get(language),
                                    committed=limit.committed_days, fees=fees)))
    sections.append(Section(message("event.limits", language), tuple(limits)))
    online = [f"• {s.esc(service.name.get(language))}: {s.esc(service.online.channel.get(language))}"
              for service in services if service.online.available]
    if online:
        sections.append(Section(message("event.online", language), tuple(online)))
    sections.append(Section("", (s.esc(message("event.footer", language, event=event.name.get(language),
                                                version=knowledge.version)),)))
    return sections


def _document_key(name: str) -> str:
    # "居民身份证（原件）" and "居民身份证" are the same document for the citizen.
    return re.sub(r"[（(].*?[）)]", "", name).strip()


def render_event(event, knowledge: KnowledgeBase, language: str, fmt: str = HTML,
                 answers: dict[str, bool] | None = None, today: dt.date | None = None,
                 limit: int = TELEGRAM_LIMIT) -> list[str]:
    sections = event_sections(event, knowledge, language, fmt, answers, today)
    return split_sections(sections, _Style(fmt), message("continued", language), limit)


def option_name(option: str, knowledge: KnowledgeBase, language: str) -> str:
    """The name of a clarification option: a service, or a catalogue matter ("matter:<id>")."""
    if option.startswith(MATTER_OPTION):
        return knowledge.matters[option[len(MATTER_OPTION):]].name.get(language)
    return knowledge.services[option].name.get(language)


def render_clarify(options: list[str] | tuple[str, ...], knowledge: KnowledgeBase, language: str, fmt: str = HTML) -> str:
    """The question that asks the citizen which service they mean, listing the options."""
    s = _Style(fmt)
    lines = [s.esc(message("clarify", language))]
    lines += [f"{i}. {s.esc(option_name(o, knowledge, language))}" for i, o in enumerate(options, 1)]
    return "\n".join(lines)


def render_note(key: str, language: str, fmt: str = HTML, **values) -> str:
    """One sentence of messages.yaml, escaped for the format."""
    return _Style(fmt).esc(message(key, language, **values))


def render_referral(matter: Matter, knowledge: KnowledgeBase, language: str, fmt: str = HTML, *, case_id: int,
                    due: str | None, district: str | None = None) -> list[str]:
    """A matter the knowledge base has no checklist for: who handles it, where, and that a person will follow up."""
    s = _Style(fmt)
    name = matter.name.get(language)
    lead = message("refer.lead", language, name=name, case_id=case_id, due=due) if due else \
        message("refer.lead_offline", language, name=name, case_id=case_id)
    items = [s.bold(name), s.esc(lead)]
    items += [_office_text(stop, language, s) for stop in where_to_go((matter.office,), knowledge, district)]
    if matter.online:
        items.append(s.esc(message("refer.online", language, text=matter.online.get(language)))
                     + (" " + s.link(matter.online_url) if matter.online_url else ""))
    if matter.sibling and matter.sibling in knowledge.services:
        items.append(s.esc(message("refer.sibling", language, service=knowledge.services[matter.sibling].name.get(language))))
    return split_sections([Section("", tuple(items))], s, message("continued", language), TELEGRAM_LIMIT)

