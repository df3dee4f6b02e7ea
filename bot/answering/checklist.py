"""The one-time notification (一次性告知) as one model, built once and rendered three ways.

A Checklist is what the citizen is told about a service or a life event, in one language, tailored to
their answers and district: parts in reading order, each a titled list of items. It holds plain text;
bot.answering.render turns it into Telegram messages or console text, bot.answering.printable into a
page to print. So the three can never disagree on what a checklist contains.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from bot.answering.messages import message
from bot.answering.offices import Stop, needs_district, where_to_go
from bot.answering.tailoring import conditions_of
from bot.knowledge.model import SIGNED_OFF, TEXT_CHECK, Document, Event, KnowledgeBase, Matter, Service

# Part keys: the printable page gives documents tick boxes and offices an address block.
TITLE, ANSWERS, ELIGIBILITY, DOCUMENTS, OFFICES, STEPS, LIMITS, FEES, ONLINE, BASIS, REFUSAL, FOOTER = (
    "title", "answers", "eligibility", "documents", "offices", "steps", "limits", "fees", "online", "basis",
    "refusal", "footer")


@dataclass(frozen=True)
class Item:
    """One entry of a part: a bold head, text on the same line, then indented lines, and maybe a link."""

    head: str = ""
    text: str = ""
    lines: tuple[str, ...] = ()
    link: str | None = None
    number: int | None = None  # shown before the head: documents and a bundle's steps are numbered


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Checklist:
    title: str
    parts: tuple[Part, ...]
    sources: tuple[str, ...]  # every source in full, for the printable page
    language: str
    version: str

    def part(self, key: str) -> Part | None:
        return next((p for p in self.parts if p.key == key), None)


class _Builder:
    """Language, answers, day and district, shared by the pieces of one checklist."""

    def __init__(self, knowledge: KnowledgeBase, language: str, answers: dict[str, bool] | None,
                 today: dt.date | None, district: str | None):
        self.knowledge, self.language = knowledge, language
        self.answers = answers or {}
        self.today = today or dt.date.today()
        self.district = district

    def t(self, text) -> str:
        return text.get(self.language) if text else ""

    def m(self, key: str, **values) -> str:
        return message(key, self.language, **values)

    def answered(self, conditions) -> Part | None:
        lines = tuple(Item(text=f"• {self.t(c.question)} {self.m('yes' if self.answers[c.id] else 'no')}")
                      for c in conditions if c.id in self.answers)
        return Part(ANSWERS, self.m("section.answers"), lines) if lines else None

    def document(self, number: int, document: Document, condition_text: str | None, used_by: tuple[str, ...] = (),
                 whose: tuple[str, ...] = ()) -> Item:
        quantity = self.m(f"quantity.{document.form}", n=document.copies) if document.copies \
            else self.m(f"form.{document.form}")
        brackets = "（{}）" if self.language == "zh" else " ({})"
        name = self.t((replace(document, whose=None) if whose else document).name)
        lines = [condition_text] if condition_text else []
        if whose:
            lines.append(self.m("document.whose", people="、".join(whose) if self.language == "zh" else "; ".join(whose)))
        if document.scheduled_after(self.today):
            lines.append(self.m("document.scheduled", date=document.effective_from.isoformat()))
        lines.append(self.m("source", text=self.t(document.source)))
        if document.notes:
            lines.append(self.m("notes", text=self.t(document.notes)))
        if document.electronic_note:
            lines.append(self.m("document.electronic", text=self.t(document.electronic_note)))
        if used_by:
            lines.append(self.m("event.used_for", services="、".join(used_by) if self.language == "zh"
                                else "; ".join(used_by)))
        return Item(head=name, text=brackets.format(quantity), lines=tuple(lines), number=number)

    def offices(self, office_ids: tuple[str, ...], title: str) -> Part:
        stops = where_to_go(office_ids, self.knowledge, self.district)
        items = [self.office(stop, first=i == 0 and len(stops) > 1) for i, stop in enumerate(stops)]
        if needs_district(office_ids, self.knowledge, self.district):
            items.append(Item(text=self.m("office.choose_district")))
        return Part(OFFICES, title, tuple(items))

    def office(self, stop: Stop, first: bool = False) -> Item:
        office = stop.office
        notes = [self.m("office.first")] if first else []
        lines = []
        if office.address:
            lines.append(self.m("office.address", text=self.t(office.address)))
        else:
            notes.append(self.m("office.to_confirm"))
        if stop.instead:
            lines.append(self.m("office.ask_centre", centre=self.t(stop.instead.name),
                                address=self.t(stop.instead.address), phone=stop.instead.phone or "12345"))
        if office.hours:
            lines.append(self.m("office.hours", text=self.t(office.hours)))
        if office.phone:
            lines.append(self.m("office.phone", text=office.phone))
        if office.chief_representative:
            lines.append(self.m("office.chief", text=self.t(office.chief_representative)))
        return Item(head=self.t(office.name), text="".join(" " + n for n in notes), lines=tuple(lines))

    def fees_of(self, service: Service) -> list[str]:
        separator = "：" if self.language == "zh" else ": "
        fees = [f"{self.t(f.item)}{separator}{self.t(f.amount)}" for f in service.fees if f.in_force(self.today)]
        fees += [self.m("fees.scheduled", date=f.effective_from.isoformat(), item=self.t(f.item),
                        amount=self.t(f.amount)) for f in service.fees if f.scheduled_after(self.today)]
        return fees

    def time_limits(self, service: Service) -> list[str]:
        limit = service.time_limit.on(self.today)
        if limit.legal_days == 0:
            lines = [self.m("time_limit.immediate")]
        else:
            lines = [self.m("time_limit.legal", days=limit.legal_days),
                     self.m("time_limit.committed", days=limit.committed_days) if limit.committed_days
                     else self.m("time_limit.committed_immediate")]
        for change in service.time_limit.changes:
            if change.scheduled_after(self.today):
                lines.append(self.m("time_limit.change", date=change.effective_from.isoformat(),
                                    legal=change.legal_days if change.legal_days is not None else limit.legal_days,
                                    committed=change.committed_days if change.committed_days is not None
                                    else limit.committed_days))
        if service.time_limit.notes:
            lines.append(self.t(service.time_limit.notes))
        return lines

    def condition_text(self, key: str, owner: Service | Event, condition_id: str | None) -> str | None:
        condition = owner.condition(condition_id) if condition_id else None
        if condition is None or condition_id in self.answers:
            return None
        return self.m(key, question=self.t(condition.question))

    def provenance(self, service: Service) -> str:
        """One short line: who checked the entry and when, and where its rules come from."""
        review = service.review
        laws = [s.title for s in service.sources if "法" in s.title or "条例" in s.title or "办法" in s.title][:2]
        basis = self.m("provenance.sources", laws="、".join(f"《{law}》" for law in laws) if self.language == "zh"
                       else "; ".join(laws), n=len(service.sources)) if service.sources else ""
        if review is None:
            return self.m("provenance.unreviewed") + basis
        office = self.knowledge.offices.get(review.office)
        office_name = self.t(office.name) if office else review.office
        key = {SIGNED_OFF: "provenance.signed_off", TEXT_CHECK: "provenance.text_check"}.get(
            review.method, "provenance.unverified")
        return self.m(key, office=office_name, date=review.reviewed_on.isoformat()) + basis

    def sources(self, service: Service) -> tuple[str, ...]:
        return tuple(" ".join(filter(None, [f"《{s.title}》" if self.language == "zh" else s.title, s.article or "",
                                             s.url or "", f"({s.retrieved.isoformat()})"]))
                     for s in service.sources)


def service_checklist(service: Service, knowledge: KnowledgeBase, language: str, *,
                      answers: dict[str, bool] | None = None, today: dt.date | None = None,
                      district: str | None = None) -> Checklist:
    """Everything a one-time notification must say about a service, in reading order."""
    b = _Builder(knowledge, language, answers, today, district)
    documents = []
    for document in service.documents:
        if not document.applies(b.answers) or not (document.in_force(b.today) or document.scheduled_after(b.today)):
            continue
        condition = b.condition_text("condition.if", service, document.condition) or \
            b.condition_text("condition.unless", service, document.unless)
        documents.append(b.document(len(documents) + 1, document, condition))
    parts = [Part(TITLE, "", (Item(head=b.t(service.name)),)), b.answered(service.conditions),
             Part(ELIGIBILITY, b.m("section.eligibility"), (Item(text=b.t(service.eligibility)),)),
             Part(DOCUMENTS, b.m("section.documents"), tuple(documents)),
             b.offices(service.offices, b.m("section.offices")),
             Part(STEPS, b.m("section.steps"),
                  tuple(Item(text=f"{i}. {b.t(step)}") for i, step in enumerate(service.steps, 1))),
             Part(LIMITS, b.m("section.time_limit"), tuple(Item(text=line) for line in b.time_limits(service))),
             Part(FEES, b.m("section.fees"),
                  tuple(Item(text=f"• {fee}") for fee in b.fees_of(service)) or (Item(text=b.m("fees.free")),)),
             Part(ONLINE, b.m("section.online"),
                  (Item(text=b.m("online.available" if service.online.available else "online.unavailable")),
                   Item(text=b.t(service.online.channel), link=service.online.url))),
             Part(BASIS, b.m("section.legal_basis"), tuple(Item(text=f"• {b.t(x)}") for x in service.legal_basis)),
             Part(REFUSAL, b.m("section.refusal"), tuple(Item(text=f"• {b.t(r)}") for r in service.refusal_reasons)
                  + (Item(text=b.m("appeal", text=b.t(service.appeal))),)),
             Part(FOOTER, "", tuple(Item(text=line) for line in (
                 *([b.m("footer.tailored")] if b.answers else []),
                 b.m("footer", updated=service.updated.isoformat(), version=knowledge.version),
                 b.provenance(service))))]
    return Checklist(b.t(service.name), tuple(p for p in parts if p), b.sources(service), language, knowledge.version)


def event_checklist(event: Event, knowledge: KnowledgeBase, language: str, *, answers: dict[str, bool] | None = None,
                    today: dt.date | None = None, district: str | None = None) -> Checklist:
    """One merged checklist for a life event: its steps in order, each document and each office once."""
    b = _Builder(knowledge, language, answers, today, district)
    steps = [step for step in event.steps if step.applies(b.answers)]
    services = [knowledge.services[step.service_id] for step in steps]
    step_items = []
    for number, (step, service) in enumerate(zip(steps, services, strict=True), 1):
        office = knowledge.offices[service.offices[0]]
        notes = [b.condition_text("condition.step", event, step.condition),
                 b.condition_text("condition.step_unless", event, step.unless),
                 (f"（{b.t(step.note)}）" if language == "zh" else f" ({b.t(step.note)})") if step.note else None]
        step_items.append(Item(head=b.t(service.name), number=number,
                               text=f" — {b.t(office.name)}" + "".join(" " + n for n in notes if n)))
    parts = [Part(TITLE, "", (Item(head=b.t(event.name), lines=(b.t(event.description),) if event.description
                                   else ()),)),
             b.answered(conditions_of(knowledge, event.id, True)),
             Part(STEPS, b.m("event.steps"), tuple(step_items)),
             Part(DOCUMENTS, b.m("event.documents"), _merged_documents(b, services)),
             b.offices(tuple(dict.fromkeys(o for s in services for o in s.offices)), b.m("event.offices")),
             Part(LIMITS, b.m("event.limits"), tuple(Item(text=b.m(
                 "event.immediate_line" if s.time_limit.on(b.today).committed_days == 0 else "event.limit_line",
                 service=b.t(s.name), committed=s.time_limit.on(b.today).committed_days,
                 fees="；".join(b.fees_of(s)) or b.m("fees.free"))) for s in services))]
    online = tuple(Item(text=f"• {b.t(s.name)}: {b.t(s.online.channel)}") for s in services if s.online.available)
    if online:
        parts.append(Part(ONLINE, b.m("event.online"), online))
    parts.append(Part(FOOTER, "", (Item(text=b.m("event.footer", event=b.t(event.name), version=knowledge.version)),)))
    sources = tuple(dict.fromkeys(line for s in services for line in b.sources(s)))
    return Checklist(b.t(event.name), tuple(p for p in parts if p), sources, language, knowledge.version)


def referral_checklist(matter: Matter, knowledge: KnowledgeBase, language: str, *, case_id: int, due: str | None,
                       district: str | None = None) -> Checklist:
    """A matter the knowledge base has no checklist for: who handles it, where, and that a person will follow up."""
    b = _Builder(knowledge, language, None, None, district)
    name = b.t(matter.name)
    lead = b.m("refer.lead", name=name, case_id=case_id, due=due) if due else \
        b.m("refer.lead_offline", name=name, case_id=case_id)
    items = [Item(head=name), Item(text=lead)]
    items += [b.office(stop) for stop in where_to_go((matter.office,), knowledge, district)]
    if matter.online:
        items.append(Item(text=b.m("refer.online", text=b.t(matter.online)), link=matter.online_url))
    if matter.sibling and matter.sibling in knowledge.services:
        items.append(Item(text=b.m("refer.sibling", service=b.t(knowledge.services[matter.sibling].name))))
    return Checklist(name, (Part("refer", "", tuple(items)),), (), language, knowledge.version)


def _merged_documents(b: _Builder, services: list[Service]) -> tuple[Item, ...]:
    """Each registry document once, with the services that need it and whose it must be."""
    merged: dict[tuple[str, ...], list] = {}  # key -> [document, services, whose, conditional]
    for service in services:
        for document in service.documents:
            if not (document.in_force(b.today) and document.applies(b.answers)):
                continue
            entry = merged.setdefault(document.key, [document, [], [], True])
            entry[1] += [b.t(service.name)] if b.t(service.name) not in entry[1] else []
            who = b.t(document.whose) if document.whose else b.m("document.applicant")
            entry[2] += [who] if who not in entry[2] else []
            # Needed for sure as soon as one service needs it without an unanswered condition.
            entry[3] = entry[3] and bool({document.condition, document.unless} - {None} - set(b.answers))
    items = []
    for number, (document, used_by, whose, conditional) in enumerate(merged.values(), 1):
        if len(used_by) > 1:  # one service's notes and ways would mislead for the others: the registry's say it
            document = replace(document, own_how_to_get=None, notes=None)
        maybe = b.m("document.if_applicable") if conditional else None
        items.append(b.document(number, document, maybe, tuple(used_by), tuple(whose) if len(whose) > 1 else ()))
    return tuple(items)
