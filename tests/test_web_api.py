"""The web channel's JSON API, through a real `python -m bot web` process with no Telegram settings:
answers as on Telegram, cases recorded, sessions only as hashes, and every refusal of abuse."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from bot.answering.render import HTML, render_checklist
from bot.config import BUNDLED_KNOWLEDGE, Config
from bot.records.ledger import Ledger
from bot.web.api import ROUTES
from bot.web.services import session_id, web_user
from tests.conftest import correct_passport_fee
from tests.web_harness import WebProcess

RATE_LIMIT = 15  # citizen actions per session per minute, low enough that a flood is quick to show


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    server = WebProcess(tmp_path_factory.mktemp("web") / "ledger.db",
                        WEB_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT), WEB_MAX_BODY_BYTES="2048").start()
    yield server
    assert server.stop() == 0


@pytest.fixture
def ledger(web):
    ledger = Ledger(web.database)
    yield ledger
    ledger.close()


def test_ask_answers_the_passport_checklist_as_telegram_does(web, ledger, knowledge):
    response = web.post("/api/v1/ask", {"text": "护照怎么办理"})
    assert response.status_code == 200
    reply = response.json()
    assert set(reply) >= {"session", "action", "service", "options", "messages", "case_id", "inquiry_id"}
    assert (reply["action"], reply["service"], reply["case_id"]) == ("answer", "passport", None)
    # The same messages, escaped the same way, as the Telegram checklist of the same knowledge base.
    assert reply["messages"] == render_checklist(knowledge.services["passport"], knowledge, "zh", HTML)
    assert [b["action"] for b in reply["buttons"]] == ["tailor", "printable", "helpful", "ask_person", "report_error"]
    inquiry = ledger.inquiry(reply["inquiry_id"])
    assert (inquiry.channel, inquiry.service_id) == ("web", "passport")
    # The ledger keeps a hash of the session token, never the token, and no address.
    assert inquiry.user_id == web_user(reply["session"]) and reply["session"] not in inquiry.user_id
    assert ledger.web_session(session_id(reply["session"])).address is None
    assert "127.0.0.1" not in json.dumps(list(ledger.db["web_sessions"].rows) + list(ledger.db["inquiries"].rows))


def test_an_out_of_scope_question_gets_a_case_recorded_for_staff(web, ledger):
    reply = web.post("/api/v1/ask", {"text": "我的快递三天没到，物流显示一直卡在中转站", "language": "zh"}).json()
    assert reply["action"] == "escalate" and f"#{reply['case_id']}" in reply["messages"][0]
    case = ledger.case(reply["case_id"])
    assert (case.channel, case.user_id, case.status) == ("web", web_user(reply["session"]), "open")
    mine = web.post("/api/v1/case", {"session": reply["session"]}).json()
    assert mine["case"]["id"] == case.id


def test_clarify_pick_tailor_save_and_ask_a_person(web, ledger):
    asked = web.post("/api/v1/ask", {"text": "身份证", "language": "zh"}).json()
    assert asked["action"] == "clarify" and asked["buttons"][-1]["action"] == "ask_person"
    session, option = asked["session"], asked["options"][0]["id"]
    chosen = web.post("/api/v1/choose", {"session": session, "inquiry_id": asked["inquiry_id"],
                                         "service": option}).json()
    assert chosen["action"] == "chosen" and chosen["service"] == option
    answers, step = {}, web.post("/api/v1/tailor", {"session": session, "inquiry_id": chosen["inquiry_id"]}).json()
    while step["action"] == "condition":
        answers[step["condition"]["id"]] = False
        step = web.post("/api/v1/tailor", {"session": session, "inquiry_id": chosen["inquiry_id"],
                                           "answers": answers}).json()
    assert step["tailored"] and "tailor" not in [b["action"] for b in step["buttons"]]
    assert ledger.inquiry(step["inquiry_id"]).answers == answers
    saved = web.post("/api/v1/printable", {"session": session, "inquiry_id": step["inquiry_id"]}).json()
    assert saved["filename"].startswith(f"checklist-{option}-") and "<!doctype html>" in saved["html"]
    person = web.post("/api/v1/ask-person", {"session": session, "inquiry_id": step["inquiry_id"]}).json()
    assert person["action"] == "escalate" and ledger.case(person["case_id"]).guesses == (option,)
    assert web.post("/api/v1/feedback", {"session": session, "inquiry_id": step["inquiry_id"]}).status_code == 200


def test_another_session_cannot_use_an_inquiry_that_is_not_its_own(web):
    mine = web.post("/api/v1/ask", {"text": "护照怎么办理"}).json()
    other = web.post("/api/v1/session", {}).json()["session"]
    for path in ("/api/v1/printable", "/api/v1/ask-person", "/api/v1/feedback", "/api/v1/tailor"):
        refused = web.post(path, {"session": other, "inquiry_id": mine["inquiry_id"]})
        assert refused.status_code == 404, path
    assert web.post("/api/v1/messages", {"session": "x" * 43}).status_code == 401  # a token nobody was given


def test_an_error_report_is_recorded_with_what_was_told(web, ledger):
    answer = web.post("/api/v1/ask", {"text": "护照怎么办理", "language": "zh"}).json()
    reported = web.post("/api/v1/report-error", {"session": answer["session"], "inquiry_id": answer["inquiry_id"],
                                                  "text": "窗口说还要带户口本"}).json()
    [report] = ledger.error_reports()
    assert reported["report_id"] == report.id and "信息纠错" in reported["notice"]
    assert (report.service_id, report.channel, report.office_id) == ("passport", "web", "exit_entry_bureau")
    assert report.told == ledger.inquiry(answer["inquiry_id"]).reply
    other = web.post("/api/v1/session", {}).json()["session"]  # someone else's answer: refused
    refused = web.post("/api/v1/report-error", {"session": other, "inquiry_id": answer["inquiry_id"], "text": "x"})
    assert refused.status_code == 404 and len(ledger.error_reports()) == 1


def test_the_openapi_description_lists_every_endpoint(web):
    description = httpx.get(web.url + "/api/v1/openapi.json").json()
    assert description["openapi"].startswith("3.")
    assert {path for path, _ in ROUTES} <= set(description["paths"])
    for path, _ in ROUTES:
        assert "application/json" in description["paths"][path]["post"]["requestBody"]["content"]


# -- abuse ---------------------------------------------------------------------------------------

def test_a_body_over_the_limit_is_refused(web):
    big = {"text": "护照" * 2000}
    assert web.post("/api/v1/ask", big).status_code == 413
    # Without a Content-Length (chunked), the limit is counted as the body arrives.
    chunks = (json.dumps(big, ensure_ascii=False).encode()[i:i + 512] for i in range(0, 12000, 512))
    chunked = httpx.post(web.url + "/api/v1/ask", content=chunks, headers={"content-type": "application/json"})
    assert chunked.status_code == 413 and chunked.json()["error"] == "too_large"


@pytest.mark.parametrize("content_type, body", [
    ("text/plain", '{"text": "护照怎么办理"}'),
    ("application/x-www-form-urlencoded", "text=护照怎么办理"),
    ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--x--'),
    (None, '{"text": "护照怎么办理"}'),
])
def test_a_wrong_content_type_is_refused(web, content_type, body):
    headers = {"content-type": content_type} if content_type else {}
    refused = httpx.post(web.url + "/api/v1/ask", content=body.encode(), headers=headers)
    assert refused.status_code == 415 and refused.json()["error"] == "content_type"


def test_bodies_that_are_not_a_json_object_and_other_sites_are_refused(web):
    for body in (b"[1, 2]", b"{not json", b'"text"'):
        refused = httpx.post(web.url + "/api/v1/ask", content=body, headers={"content-type": "application/json"})
        assert refused.status_code == 400
    cross_site = web.post("/api/v1/ask", {"text": "护照"}, headers={"origin": "https://evil.example"})
    assert cross_site.status_code == 403


def test_a_flood_from_one_session_is_limited_and_recorded(web, ledger):
    session = web.post("/api/v1/session", {}).json()["session"]
    codes = [web.post("/api/v1/ask", {"session": session, "text": f"护照怎么办理 {n}"}).status_code
             for n in range(RATE_LIMIT + 3)]
    assert codes == [200] * RATE_LIMIT + [429] * 3
    limited = web.post("/api/v1/ask", {"session": session, "text": "再问一次"})
    assert limited.headers["retry-after"] == "60" and "太快" in limited.json()["message"]
    actions = [i.action for i in ledger.inquiries(web_user(session))]
    assert actions == ["answer"] * RATE_LIMIT + ["rate_limited"] * 4  # nothing the citizen sent is lost
    assert web.post("/api/v1/ask", {"text": "护照怎么办理"}).status_code == 200  # other sessions are served


def test_security_headers_and_pages_without_inline_script(web):
    for path in ("/", "/en", "/desk", "/desk/en"):
        page = httpx.get(web.url + path)
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        html = page.text
        body_tag = html.split("<body", 1)[1].split(">")[0]
        assert "<style" not in html and " style=" not in html and not re.search(r"\son[a-z]+\s*=", body_tag)
        assert all('src="/static/' in tag for tag in html.split("<script")[1:])
        assert all(tag.split(">", 1)[1].startswith("</script>") for tag in html.split("<script")[1:])
    assert 'lang="en"' in httpx.get(web.url + "/en").text


async def test_a_flood_from_one_address_is_limited(tmp_path):
    """Many sessions from one address: the per-address limit stops them (in-process, a low limit)."""
    app, ledger = in_process_app(tmp_path, address_rate_limit_per_minute=4)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        codes = [(await client.post("/api/v1/ask", json={"text": "护照怎么办理"})).status_code for _ in range(6)]
    ledger.close()
    assert codes == [200] * 4 + [429] * 2

def in_process_app(tmp_path, **web_changes):
    from dataclasses import replace

    from bot.answering.assistant import Assistant, KnowledgeStore
    from bot.records.cases import CaseDesk
    from bot.web.app import create_app
    from bot.web.services import build_web_services

    config = Config(database_path=tmp_path / "ledger.db")
    config = replace(config, web=replace(config.web, **web_changes))
    ledger = Ledger(config.database_path)
    assistant = Assistant(KnowledgeStore(BUNDLED_KNOWLEDGE), ledger, config)
    desk = CaseDesk.from_config(ledger, config, working_time=assistant.working_time)
    return create_app(build_web_services(config, ledger, assistant.store, assistant, desk)), ledger


async def test_without_a_desk_password_the_desk_refuses_every_login(tmp_path):
    app, ledger = in_process_app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        refused = await client.post("/desk/api/login", json={"name": "王芳", "password": "anything at all"})
        search = await client.post("/desk/api/search", json={"query": "护照"})
    ledger.close()
    assert refused.status_code == 503 and "DESK_PASSWORD" in refused.json()["message"]
    assert search.status_code == 401


def test_a_web_case_keeps_staff_replies_in_the_session_inbox_until_purged(tmp_path):
    import datetime as dt

    from bot.records.cases import CaseDesk, Staff

    ledger = Ledger(tmp_path / "ledger.db")
    desk = CaseDesk(ledger, Config().business_hours)
    case_id = ledger.open_case(channel="web", user_id="web:abc", chat_id="web:abc", language="zh", question="狗证")
    assert desk.reply(case_id, Staff("9001", "李明"), "请到派出所办理", media="photo").ok
    assert desk.close(case_id, Staff("9001", "李明")).ok
    [reply, closed] = ledger.inbox("web:abc")
    assert (reply.kind, reply.text, reply.media, closed.kind) == ("reply", "请到派出所办理", "photo", "closed")
    assert ledger.inbox("web:abc", after=closed.id) == [] and ledger.inbox("web:other") == []
    counts = ledger.purge_before(ledger.now() + dt.timedelta(seconds=1), "[purged]", actor="test")
    assert counts["web_inbox"] == 2 and ledger.inbox("web:abc") == []
    ledger.close()


def test_a_taken_port_stops_the_web_command_with_one_line(tmp_path):
    import socket
    import subprocess
    import sys

    from tests.process import ROOT

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "bot", "web", "--port", str(port)], cwd=ROOT,
                                env={"PATH": "/usr/bin:/bin", "DATABASE_PATH": str(tmp_path / "ledger.db")},
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: The web channel cannot listen on 127.0.0.1:{port} (Address already in use); "
        "choose another port with WEB_PORT (or --port).")


async def test_a_correction_notice_shows_in_the_web_inbox_as_a_correction(tmp_path, knowledge_copy):
    """A web session told an older checklist hears what changed, not "case #None is closed, please rate"."""
    from bot.answering import corrections

    app, ledger = in_process_app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        told = (await client.post("/api/v1/ask", json={"text": "护照怎么办理"})).json()
        pending, new, since = correct_passport_fee(ledger, knowledge_copy)
        assert corrections.send(ledger, new, pending.correction, since) == 1
        inbox = (await client.post("/api/v1/messages", json={"session": told["session"]})).json()
    ledger.close()
    [item] = inbox["messages"]
    assert item["kind"] == "correction" and item["case_id"] is None and item["service"] == "passport"
    # The button the notice speaks of: the new checklist, as Telegram's [📋 See the new checklist] shows it.
    assert "点下方按钮" in item["text"]
    assert item["buttons"] == [{"action": "choose", "service": "passport", "label": "📋 查看新清单"}]
    assert "更正通知" in item["header"] and "护照工本费 每本120元 → 护照工本费 每本100元" in item["text"]
    assert "#None" not in item["header"] + item["text"] and "评分" not in item["header"] + item["text"]


async def test_a_life_event_is_tailored_on_the_web_as_on_telegram(tmp_path, knowledge):
    """An answer that drops a step drops that service's questions: the count goes down, as Telegram's does."""
    from bot.answering.tailoring import Tailoring, question_count

    app, ledger = in_process_app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        asked = (await client.post("/api/v1/ask", json={"text": "结婚前后要办哪些手续"})).json()
        assert asked["event"] == "marriage"
        body = {"session": asked["session"], "inquiry_id": asked["inquiry_id"], "answers": {}}
        counts = []
        while (step := (await client.post("/api/v1/tailor", json=body)).json())["action"] == "condition":
            counts.append(step["messages"][0].split("：")[0])
            expected = question_count(knowledge, Tailoring(asked["inquiry_id"], "marriage", True, body["answers"]))
            assert counts[-1] == f"问题 {len(body['answers']) + 1}/{expected}"
            body["answers"] = {**body["answers"], step["condition"]["id"]: False}
    ledger.close()
    assert step["tailored"] and counts[-1] == f"问题 {len(counts)}/{len(counts)}"


async def test_the_desk_tailors_a_life_event_with_the_questions_of_its_services(tmp_path, knowledge):
    from bot.answering.tailoring import conditions_of
    from bot.config import Secret
    from tests.web_harness import DESK_PASSWORD

    app, ledger = in_process_app(tmp_path, desk_password=Secret(DESK_PASSWORD))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.post("/desk/api/login", json={"name": "王芳", "password": DESK_PASSWORD})).is_success
        shown = (await client.post("/desk/api/show", json={"kind": "event", "id": "marriage"})).json()
        # The event's own questions, then those of its services (marriage registration asks if married before).
        assert [c["id"] for c in shown["conditions"]] == [c.id for c in conditions_of(knowledge, "marriage", True)]
        answers = {"spouse_moves": False, "plan_baby": False, "previously_married": True}
        body = {"kind": "event", "id": "marriage", "answers": answers}
        tailored = (await client.post("/desk/api/show", json=body)).json()
        told = (await client.post("/desk/api/told", json=body)).json()
    inquiry = ledger.inquiry(told["inquiry_id"])
    ledger.close()
    remaining = conditions_of(knowledge, "marriage", True, answers)  # no questions of the steps answered away
    assert [c["id"] for c in tailored["conditions"]] == [c.id for c in remaining]
    assert [c["answer"] for c in tailored["conditions"][:3]] == [False, False, True]
    assert (inquiry.event_id, inquiry.answers) == ("marriage", answers)
