"""The citizens' JSON API, /api/v1/: one endpoint per thing a Telegram citizen can do.

Each handler reads the checked JSON body, calls the answering path (Assistant) or the case rules
(CaseDesk), and returns the documented JSON (bot/web/openapi.py). A session is a random token the
page keeps; the ledger records only its hash, as user_id "web:<hash>".
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.answering.assistant import RATE_LIMITED, Reply
from bot.answering.matching import ESCALATE, REFER
from bot.answering.messages import message
from bot.answering.printable import checklist_file
from bot.answering.tailoring import Tailoring, conditions_of, next_condition, question_count
from bot.knowledge.model import LANGUAGES
from bot.records.cases import Citizen
from bot.records.rows import WEB, InboxMessage, Inquiry
from bot.records.workdays import local_date, local_time
from bot.web.present import condition_json, reply_json
from bot.web.security import (
    ApiError,
    check_address,
    check_origin,
    client_address,
    rate_limited,
    read_json,
    refusal,
    request_language,
)
from bot.web.services import TOKEN, WebServices, session_id, web_user

MAX_ID = 2**31 - 1
NAME = re.compile(r"(?:matter:)?[a-z][a-z0-9_]{0,47}")  # a service id, or a catalogue matter offered as an option
Handler = Callable[[WebServices, Request, dict], Awaitable[dict | Response]]


def endpoint(handler: Handler, *, body: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: address rate limit, origin and JSON body checks, and refusals as JSON."""
    async def route(request: Request) -> Response:
        web: WebServices = request.app.state.web
        try:
            check_address(web, request)
            data = {}
            if body:
                check_origin(request)
                data = await read_json(request, web.config.web.max_body_bytes, request_language(request))
            result = await handler(web, request, data)
        except ApiError as exc:
            return exc.response()
        return result if isinstance(result, Response) else JSONResponse(result)
    return route


# -- reading the body ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Session:
    token: str
    user_id: str
    language: str


def language_of(data: dict, default: str | None = None) -> str | None:
    value = data.get("language")
    if value is not None and value not in LANGUAGES:
        raise refusal(400, "field", "zh", field="language")
    return value or default


def identifier(data: dict, name: str, language: str, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise refusal(400, "field", language, field=name)
    return value


def service_name(data: dict, name: str, language: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise refusal(400, "field", language, field=name)
    return value


def session_of(web: WebServices, request: Request, data: dict, *, limit: bool, create: bool = False) -> Session:
    """The caller's session; a new one when allowed and none was given. An unknown token is refused (and not
    counted); with `limit`, the action then counts against the session (citizen actions do, polling does not)."""
    token = data.get("session")
    language = language_of(data) or request_language(request)
    if token is None and create:
        token = secrets.token_urlsafe(32)
        address = client_address(request) if web.config.web.record_address else None
        web.ledger.create_web_session(session_id(token), language, address)
    if not isinstance(token, str) or not TOKEN.fullmatch(token) or web.ledger.web_session(session_id(token)) is None:
        raise refusal(401, "session", language)
    session = Session(token, web_user(token), language)
    if limit and not web.sessions.allow(session.user_id, time.monotonic()):
        raise rate_limited(language)
    return session


def own_inquiry(web: WebServices, data: dict, session: Session) -> Inquiry:
    """The inquiry the request refers to, if it is this session's (as a Telegram button checks its presser)."""
    inquiry = web.ledger.inquiry(identifier(data, "inquiry_id", session.language))
    if inquiry is None or inquiry.user_id != session.user_id:
        raise refusal(404, "not_yours", session.language)
    return inquiry


# -- answering ------------------------------------------------------------------------------------

async def new_session(web: WebServices, request: Request, data: dict) -> dict:
    session = session_of(web, request, {**data, "session": None}, create=True, limit=False)
    return {"session": session.token, "language": session.language}


async def ask(web: WebServices, request: Request, data: dict) -> dict:
    text = data.get("text")
    language = language_of(data)
    session = session_of(web, request, data, create=True, limit=False)
    if not isinstance(text, str):
        raise refusal(400, "field", session.language, field="text")
    if not web.sessions.allow(session.user_id, time.monotonic()):  # recorded, so nothing a citizen sent is lost
        refused = rate_limited(session.language)
        web.assistant.record_unanswered(text, RATE_LIMITED, refused.text, channel=WEB, user_id=session.user_id,
                                        chat_id=session.user_id, language=session.language)
        raise refused
    reply = web.assistant.ask(text, channel=WEB, user_id=session.user_id, chat_id=session.user_id, language=language)
    await tell_staff(web, reply)
    return reply_json(web.store.current.knowledge, reply, session.token)


async def choose(web: WebServices, request: Request, data: dict) -> dict:
    """A service picked from a clarification (with inquiry_id) or while browsing (without)."""
    session = session_of(web, request, data, limit=True)
    service = service_name(data, "service", session.language)
    knowledge = web.store.current.knowledge
    if data.get("inquiry_id") is not None:
        inquiry = own_inquiry(web, data, session)
        if service not in inquiry.options:
            raise refusal(404, "not_yours", session.language)
        question = inquiry.text
    elif service in knowledge.services:
        question = f"/services {service}"
    else:
        raise refusal(404, "unknown_service", session.language)
    reply = web.assistant.choose(service, question=question, channel=WEB, user_id=session.user_id,
                                 chat_id=session.user_id, language=session.language)
    return reply_json(web.store.current.knowledge, reply, session.token)


async def tailor(web: WebServices, request: Request, data: dict) -> dict:
    """Answers so far in, the next yes/no question out; with every question answered, the tailored list."""
    session = session_of(web, request, data, limit=True)
    inquiry = own_inquiry(web, data, session)
    target, is_event = inquiry.target
    knowledge = web.store.current.knowledge
    conditions = {c.id for c in conditions_of(knowledge, target, is_event)} if target else set()
    answers = data.get("answers", {})
    if not conditions or not isinstance(answers, dict) or set(answers) - conditions or \
            not all(isinstance(v, bool) for v in answers.values()):
        raise refusal(400, "field", session.language, field="answers")
    state = Tailoring(inquiry.id, target, is_event, dict(answers))
    condition = next_condition(knowledge, state)
    if condition is not None:
        return condition_json(session.token, inquiry.id, condition, len(answers) + 1,
                              question_count(knowledge, state), session.language)
    choose_target = web.assistant.choose_event if is_event else web.assistant.choose
    reply = choose_target(target, question=inquiry.text, channel=WEB, user_id=session.user_id,
                          chat_id=session.user_id, language=session.language, answers=state.answers)
    return reply_json(web.store.current.knowledge, reply, session.token)


async def ask_person(web: WebServices, request: Request, data: dict) -> dict:
    """[Ask a person] / [None of these]: a case for the question (or a follow-up to the open one)."""
    session = session_of(web, request, data, limit=True)
    inquiry_id = identifier(data, "inquiry_id", session.language)
    reply = web.assistant.ask_person(inquiry_id, user_id=session.user_id, language=session.language)
    if reply is None:
        raise refusal(404, "not_yours", session.language)
    web.ledger.record_feedback(inquiry_id, session.user_id, "ask_person")
    await tell_staff(web, reply)
    return reply_json(web.store.current.knowledge, reply, session.token)


async def tell_staff(web: WebServices, reply: Reply) -> None:
    """A new case gets its card in the staff chat; a follow-up goes to the open case's thread."""
    if reply.decision.action not in (ESCALATE, REFER) or not reply.case_id:
        return
    case = web.ledger.case(reply.case_id)
    if case.inquiry_id == reply.inquiry_id:
        await web.staff.case_opened(case.id)
    else:
        text = web.ledger.inquiry(reply.inquiry_id).text
        await web.staff.tell(case.id, message("staff.follow_up", "zh", case_id=case.id, text=text[:700]),
                             f"web{reply.inquiry_id}")


# -- after the answer -----------------------------------------------------------------------------

async def helpful(web: WebServices, request: Request, data: dict) -> dict:
    session = session_of(web, request, data, limit=True)
    inquiry = own_inquiry(web, data, session)
    web.ledger.record_feedback(inquiry.id, session.user_id, "helpful")
    return {"session": session.token, "notice": message("feedback.thanks", session.language)}


async def printable(web: WebServices, request: Request, data: dict) -> dict:
    """[Save as file]: the checklist as a printable HTML page with tick boxes."""
    session = session_of(web, request, data, limit=True)
    inquiry = own_inquiry(web, data, session)
    issued = local_date(web.ledger.now(), web.config.business_hours)
    saved = checklist_file(web.store.current.knowledge, session.language, *inquiry.target, answers=inquiry.answers,
                           issued=issued)
    if saved is None:
        raise refusal(404, "not_yours", session.language)
    return {"session": session.token, "filename": saved.filename, "html": saved.html}


async def my_case(web: WebServices, request: Request, data: dict) -> dict:
    """/mycase: the session's open case, and nobody else's."""
    session = session_of(web, request, data, limit=False)
    case = web.ledger.open_case_of(session.user_id)
    if case is None:
        return {"session": session.token, "case": None, "text": message("mycase.none", session.language)}
    due = local_time(case.due_at, web.config.business_hours) if case.due_at else "—"
    text = message("mycase.status", session.language, case_id=case.id, question=case.question[:500], due=due,
                   status=message("mycase.owned" if case.owner_id else "mycase.waiting", session.language))
    return {"session": session.token, "case": {"id": case.id, "due": due, "claimed": bool(case.owner_id)},
            "text": text}


async def end_case(web: WebServices, request: Request, data: dict) -> dict:
    """/end: the citizen closes their open case; the inbox then asks for a rating."""
    session = session_of(web, request, data, limit=True)
    case = web.ledger.open_case_of(session.user_id)
    if case is None:
        return {"session": session.token, "notice": message("end.none", session.language)}
    web.desk.close(case.id, Citizen(session.user_id), reason="closed by the citizen")
    scope = f"webend{case.id}:{secrets.token_hex(4)}"  # a case reopened by a low rating can be ended again
    await web.staff.tell(case.id, message("staff.closed_by_citizen", "zh", case_id=case.id), scope)
    await web.staff.case_changed(case.id, scope)
    return {"session": session.token, "notice": message("end.closed", session.language, case_id=case.id)}


async def rate(web: WebServices, request: Request, data: dict) -> dict:
    """A 1-5 rating of a closed case; a low one reopens it and invites a comment."""
    session = session_of(web, request, data, limit=True)
    case_id = identifier(data, "case_id", session.language)
    stars = data.get("stars")
    if isinstance(stars, bool) or not isinstance(stars, int):
        raise refusal(400, "field", session.language, field="stars")
    outcome = web.desk.rate(case_id, Citizen(session.user_id), stars)
    if not outcome.ok:
        raise refusal(409 if outcome.case else 404, "not_rateable", session.language)
    if outcome.case.is_open:  # reopened by a low rating: said in its thread, and its card offers claim/close again
        scope = f"webrate{case_id}:{outcome.case.rating}"
        await web.staff.tell(case_id, message("staff.reopened", "zh", case_id=case_id, stars=stars), scope)
        await web.staff.case_changed(case_id, scope)
        return {"session": session.token, "notice": message("rate.low", session.language), "comment": True}
    return {"session": session.token, "notice": message("rate.thanks", session.language), "comment": False}


async def comment(web: WebServices, request: Request, data: dict) -> dict:
    """What went wrong, after a low rating: recorded on the case and shown to staff."""
    session = session_of(web, request, data, limit=True)
    case = web.ledger.case(identifier(data, "case_id", session.language))
    text = data.get("text")
    if case is None or case.user_id != session.user_id or case.rating is None:
        raise refusal(404, "not_yours", session.language)
    if not isinstance(text, str) or not text.strip():
        raise refusal(400, "field", session.language, field="text")
    web.desk.add_comment(case.id, Citizen(session.user_id), text[:4096])
    await web.staff.tell(case.id, message("staff.comment", "zh", case_id=case.id, text=text[:700]),
                         f"webcomment{case.id}:{secrets.token_hex(4)}")
    return {"session": session.token, "notice": message("rate.comment_thanks", session.language)}


async def report_error(web: WebServices, request: Request, data: dict) -> dict:
    """The citizen says what an answer got wrong: recorded with what they were told, and posted for staff."""
    session = session_of(web, request, data, limit=True)
    inquiry = own_inquiry(web, data, session)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise refusal(400, "field", session.language, field="text")
    report = web.assistant.report_error(text[:4096], channel=WEB, user_id=session.user_id, chat_id=session.user_id,
                                        inquiry_id=inquiry.id)
    if report is None:
        raise refusal(404, "not_yours", session.language)
    await web.staff.error_reported(report)
    office = web.store.current.knowledge.offices.get(report.office_id)
    return {"session": session.token, "report_id": report.id, "notice": message(
        "wrong.thanks", session.language, report_id=report.id,
        office=office.name.get(session.language) if office else "—")}


async def messages(web: WebServices, request: Request, data: dict) -> dict:
    """What arrived for the session after `after` (the last id the page has): staff replies, closed cases,
    corrections."""
    session = session_of(web, request, data, limit=False)
    after = data.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise refusal(400, "field", session.language, field="after")
    rows = web.ledger.inbox(session.user_id, after)
    return {"session": session.token, "messages": [inbox_json(row, session.language) for row in rows],
            "last": rows[-1].id if rows else after}


def inbox_json(row: InboxMessage, language: str) -> dict:
    """Plain text (not HTML): the page shows it as text. Only a closed case asks for a rating."""
    item = {"id": row.id, "kind": row.kind, "case_id": row.case_id, "service": row.service_id,
            "at": row.at.isoformat(), "buttons": []}
    if row.kind == "reply":
        item["header"] = message("staff.reply_header", language, case_id=row.case_id)
        item["text"] = row.text or ""
        if row.media:
            item["text"] += ("\n" if item["text"] else "") + message("web.attachment", language, media=row.media)
    elif row.kind == "closed":
        item["header"] = message("rate.prompt", language, case_id=row.case_id)
        item["text"] = ""
        item["buttons"] = [{"action": "rate", "case_id": row.case_id, "stars": n, "label": str(n)} for n in range(1, 6)]
    elif row.kind == "correction":  # bot.answering.corrections wrote it in the session's language
        item["header"], _, item["text"] = (row.text or "").partition("\n")
        if row.service_id:  # the button the notice ends with; a notice from before service_id was kept has none
            item["buttons"] = [{"action": "choose", "service": row.service_id,
                                "label": message("correction.button", language)}]
    else:  # a kind this version does not know: its text as it is, and never a rating prompt
        item["header"], item["text"] = "", row.text or ""
    return item


async def catalogue(web: WebServices, request: Request, data: dict) -> dict:
    """/services: categories and their services, in both languages."""
    knowledge = web.store.current.knowledge
    listed = [(c, knowledge.services_in(c.id)) for c in knowledge.categories.values()]
    return {"categories": [
        {"id": c.id, "name": {"zh": c.name.get("zh"), "en": c.name.get("en")},
         "services": [{"id": s.id, "name": {"zh": s.name.get("zh"), "en": s.name.get("en")}} for s in services]}
        for c, services in listed if services]}


ROUTES = [("/api/v1/session", new_session), ("/api/v1/ask", ask), ("/api/v1/choose", choose),
          ("/api/v1/tailor", tailor), ("/api/v1/ask-person", ask_person), ("/api/v1/feedback", helpful),
          ("/api/v1/printable", printable), ("/api/v1/case", my_case), ("/api/v1/case/close", end_case),
          ("/api/v1/rate", rate), ("/api/v1/comment", comment), ("/api/v1/report-error", report_error),
          ("/api/v1/messages", messages)]
