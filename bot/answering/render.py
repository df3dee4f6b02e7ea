"""Render checklists (bot.answering.checklist) and the assistant's other messages as messages.

Two formats: Telegram HTML, where everything that comes from YAML or a citizen is escaped, and
plain text for the console. A Telegram message holds at most 4,096 characters; a longer
checklist is split at section boundaries, and inside a section only between items.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from bot.answering.checklist import (
    DOCUMENTS,
    Checklist,
    Item,
    event_checklist,
    referral_checklist,
    service_checklist,
)
from bot.answering.messages import message
from bot.config import TELEGRAM_MESSAGE_LIMIT
from bot.knowledge.model import MATTER_PREFIX, Event, KnowledgeBase, Matter, Service

TELEGRAM_LIMIT = TELEGRAM_MESSAGE_LIMIT
HTML, PLAIN = "html", "text"


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


def sections_of(checklist: Checklist, fmt: str = HTML) -> list[Section]:
    """A checklist as titled sections of formatted items, in reading order."""
    s = _Style(fmt)
    return [Section(part.title, tuple(_item_text(item, s, indent=part.key == DOCUMENTS) for item in part.items))
            for part in checklist.parts]


def _item_text(item: Item, s: _Style, indent: bool = False) -> str:
    first = (f"{item.number}. " if item.number else "") + (s.bold(item.head) if item.head else "") + s.esc(item.text)
    lines = [first] if first else []
    lines += [("   " if indent else "") + s.esc(line) for line in item.lines]
    if item.link:
        lines.append(s.link(item.link))
    return "\n".join(lines)


def render(checklist: Checklist, fmt: str = HTML, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """A checklist as one message, or as few as the length limit allows."""
    return split_sections(sections_of(checklist, fmt), _Style(fmt), message("continued", checklist.language), limit)


def checklist_sections(service: Service, knowledge: KnowledgeBase, language: str, fmt: str = HTML,
                       answers: dict[str, bool] | None = None, today: dt.date | None = None,
                       district: str | None = None) -> list[Section]:
    """Every part of a service's one-time notification, as formatted sections in reading order."""
    return sections_of(service_checklist(service, knowledge, language, answers=answers, today=today,
                                         district=district), fmt)


def render_checklist(service: Service, knowledge: KnowledgeBase, language: str, fmt: str = HTML,
                     answers: dict[str, bool] | None = None, today: dt.date | None = None,
                     limit: int = TELEGRAM_LIMIT, district: str | None = None) -> list[str]:
    """The complete checklist of a service as one message, or as few as the length limit allows."""
    return render(service_checklist(service, knowledge, language, answers=answers, today=today, district=district),
                  fmt, limit)


def render_event(event: Event, knowledge: KnowledgeBase, language: str, fmt: str = HTML,
                 answers: dict[str, bool] | None = None, today: dt.date | None = None,
                 limit: int = TELEGRAM_LIMIT, district: str | None = None) -> list[str]:
    """The merged checklist of a life event."""
    return render(event_checklist(event, knowledge, language, answers=answers, today=today, district=district),
                  fmt, limit)


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


def option_name(option: str, knowledge: KnowledgeBase, language: str) -> str:
    """The name of a clarification option: a service, or a catalogue matter ("matter:<id>")."""
    if option.startswith(MATTER_PREFIX):
        return knowledge.matters[option.removeprefix(MATTER_PREFIX)].name.get(language)
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
    return render(referral_checklist(matter, knowledge, language, case_id=case_id, due=due, district=district), fmt)
