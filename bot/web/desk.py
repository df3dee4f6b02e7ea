"""The counter desk (/desk): front-desk staff look up a service for a walk-in citizen, tailor it, print it,
and record that the citizen was told (channel "desk", the staff member), so first-inquiry accountability
covers the counter too.

Staff log in with the desk password (DESK_PASSWORD, kept only as a hash) and their name. The login is a
random token in an HttpOnly, SameSite=Strict cookie scoped to /desk; every change is a JSON POST with
its content type checked, which a cross-site form cannot send (and the Origin is checked as well).
"""

from __future__ import annotations

import secrets
import time

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from bot.answering.messages import message
from bot.answering.printable import checklist_file
from bot.answering.render import HTML, render_checklist, render_event
from bot.answering.tailoring import conditions_of
from bot.knowledge.model import LANGUAGES
from bot.records.rows import DESK
from bot.records.workdays import local_date
from bot.web.api import NAME, endpoint, identifier
from bot.web.security import PRINTABLE_CSP, ApiError, client_address, rate_limited, refusal, request_language
from bot.web.services import WebServices

COOKIE = "desk"
MAX_RESULTS = 10


def staff_of(web: WebServices, request: Request) -> str:
    """The logged-in staff member's name; 401 without a valid login."""
    name = web.desk_logins.staff(request.cookies.get(COOKIE))
    if name is None:
        raise refusal(401, "login", request_language(request))
    return name


async def login(web: WebServices, request: Request, data: dict) -> Response:
    language = request_language(request)
    if not web.logins.allow(client_address(request), time.monotonic()):
        raise rate_limited(language)
    if web.desk_password is None:
        raise refusal(503, "desk_disabled", language)
    name, password = data.get("name"), data.get("password")
    if not isinstance(name, str) or not name.strip() or len(name) > 64 or not isinstance(password, str):
        raise refusal(400, "field", language, field="name")
    if not web.desk_password.matches(password[:1024]):
        raise refusal(401, "login_failed", language)
    response = JSONResponse({"name": name.strip()})
    response.set_cookie(COOKIE, web.desk_logins.start(name.strip()), httponly=True, samesite="strict", path="/desk",
                        secure=web.config.web.cookie_secure, max_age=int(web.desk_logins.hours * 3600))
    return response


async def logout(web: WebServices, request: Request, data: dict) -> Response:
    web.desk_logins.end(request.cookies.get(COOKIE))
    response = JSONResponse({"name": None})
    response.delete_cookie(COOKIE, path="/desk")
    return response


async def me(web: WebServices, request: Request, data: dict) -> dict:
    return {"name": staff_of(web, request)}


async def search(web: WebServices, request: Request, data: dict) -> dict:
    """Services (and life events) for words typed at the counter: the matcher's candidates, then name matches."""
    staff_of(web, request)
    query = data.get("query")
    language = desk_language(data)
    if not isinstance(query, str) or not query.strip():
        raise refusal(400, "field", language, field="query")
    snapshot = web.store.current
    knowledge = snapshot.knowledge
    decision = snapshot.matcher.decide(query[:200])
    results = []
    if decision.event_id:
        results.append({"kind": "event", "id": decision.event_id,
                        "name": knowledge.events[decision.event_id].name.get(language)})
    found = [c.service_id for c in decision.candidates if c.score > 0]
    words = query.strip().lower()
    found += [s.id for s in knowledge.services.values()
              if words in s.name.get("zh").lower() or words in s.name.get("en").lower()]
    for service_id in dict.fromkeys(found):
        results.append({"kind": "service", "id": service_id, "name": knowledge.services[service_id].name.get(language)})
    return {"results": results[:MAX_RESULTS]}


def desk_language(data: dict) -> str:
    value = data.get("language", "zh")
    return value if value in LANGUAGES else "zh"


def target_of(web: WebServices, data: dict, language: str):
    """(item, is_event, answers) for the service or event in the body, with answers checked."""
    knowledge = web.store.current.knowledge
    kind, target = data.get("kind", "service"), data.get("id")
    items = knowledge.events if kind == "event" else knowledge.services
    if kind not in ("service", "event") or not isinstance(target, str) or not NAME.fullmatch(target) \
            or target not in items:
        raise refusal(404, "unknown_service", language)
    item = items[target]
    answers = data.get("answers") or {}
    ids = {c.id for c in conditions_of(knowledge, target, kind == "event")}  # an event asks its services' too
    if not isinstance(answers, dict) or set(answers) - ids or not all(isinstance(v, bool) for v in answers.values()):
        raise refusal(400, "field", language, field="answers")
    return item, kind == "event", answers


async def show(web: WebServices, request: Request, data: dict) -> dict:
    """The checklist as the citizen would get it, tailored to the answers so far (nothing is recorded)."""
    staff_of(web, request)
    language = desk_language(data)
    item, is_event, answers = target_of(web, data, language)
    knowledge = web.store.current.knowledge
    render = render_event if is_event else render_checklist
    return {"name": item.name.get(language), "messages": render(item, knowledge, language, HTML, answers=answers),
            "conditions": [{"id": c.id, "question": c.question.get(language), "answer": answers.get(c.id)}
                           for c in conditions_of(knowledge, item.id, is_event, answers)]}


async def told(web: WebServices, request: Request, data: dict) -> dict:
    """Record that this walk-in citizen was given this checklist: channel desk, by the staff member."""
    staff = staff_of(web, request)
    language = desk_language(data)
    item, is_event, answers = target_of(web, data, language)
    choose = web.assistant.choose_event if is_event else web.assistant.choose
    # Walk-in citizens are anonymous: each visit gets a random id; chat_id names who told them.
    reply = choose(item.id, question="", channel=DESK, user_id=f"{DESK}:{secrets.token_hex(8)}",
                   chat_id=f"staff:{staff}", language=language, answers=answers or None)
    return {"inquiry_id": reply.inquiry_id,
            "notice": message("desk.recorded", language, inquiry_id=reply.inquiry_id, staff=staff)}


async def print_page(request: Request) -> Response:
    """The printable checklist of a desk record (GET, so the browser can print it in a frame)."""
    web: WebServices = request.app.state.web
    try:
        staff_of(web, request)
        inquiry = web.ledger.inquiry(identifier(dict(request.path_params), "inquiry_id", "zh"))
    except ApiError as exc:
        return exc.response()
    if inquiry is None or inquiry.channel != DESK:
        return refusal(404, "not_yours", "zh").response()
    issued = local_date(inquiry.at, web.config.business_hours)
    saved = checklist_file(web.store.current.knowledge, inquiry.language, *inquiry.target, answers=inquiry.answers,
                           issued=issued)
    if saved is None:
        return refusal(404, "not_yours", "zh").response()
    return HTMLResponse(saved.html, headers={"content-security-policy": PRINTABLE_CSP, "cache-control": "no-store"})


ROUTES = [("/desk/api/login", endpoint(login)), ("/desk/api/logout", endpoint(logout)),
          ("/desk/api/me", endpoint(me)), ("/desk/api/search", endpoint(search)), ("/desk/api/show", endpoint(show)),
          ("/desk/api/told", endpoint(told))]
