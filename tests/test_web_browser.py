"""The web channel in Debian's Chromium: the chat page, the counter desk, and both channels in one process.

Set SCREENSHOT_DIR=docs to refresh the screenshots the README shows.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import httpx
import pytest

from bot.answering.render import HTML, render_checklist
from bot.records.ledger import Ledger
from bot.web.services import web_user
from tests.browser import chromium
from tests.conftest import correct_passport_fee
from tests.process import BotProcess, free_port, message_to
from tests.web_harness import DESK_PASSWORD, WebProcess

PHONE = {"width": 390, "height": 844}
STORAGE = "counter-assistant-session"
SECTIONS = ["办理条件", "需要准备的材料", "办理地点", "办理流程", "办理时限", "收费标准", "网上办理", "办理依据",
            "不予受理情形及救济途径"]
OUT_OF_SCOPE = "我的快递三天没到，物流显示一直卡在中转站"  # nothing the city handles: a case for staff
MARKUP = '<img src=x onerror="document.title=\'pwned\'"><b>粗体</b>我家狗要办狗证'


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    server = WebProcess(tmp_path_factory.mktemp("web") / "ledger.db").start()
    yield server
    assert server.stop() == 0


@pytest.fixture
def ledger(web):
    ledger = Ledger(web.database)
    yield ledger
    ledger.close()


def screenshot(page, name: str, tmp_path: Path, **options) -> Path:
    target = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path) / name
    page.screenshot(path=str(target), **options)
    return target


def as_text(telegram_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", telegram_html))


def open_chat(browser, url: str):
    page = browser.new_page(viewport=PHONE)
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    return page


def ask(page, text: str) -> None:
    """Type into the labelled text box and press Enter, as a citizen does."""
    box = page.get_by_label("您的问题") if page.get_attribute("html", "lang") == "zh-CN" else page.get_by_label("Your question")
    box.fill(text)
    box.press("Enter")


def test_typing_a_question_and_enter_shows_the_full_checklist(web, ledger, knowledge, tmp_path):
    with chromium() as browser:
        page = open_chat(browser, web.url + "/")
        assert page.get_attribute("html", "lang") == "zh-CN"
        assert page.get_attribute("#log", "role") == "log" and page.get_attribute("#log", "aria-live") == "polite"
        ask(page, "身份证丢了怎么补办")
        page.locator(".bubble.assistant", has_text="以上为一次性告知的全部材料和要求").wait_for()
        shown = page.locator(".bubble.assistant .text").all_inner_texts()
        expected = render_checklist(knowledge.services["id_card_replacement"], knowledge, "zh", HTML)
        assert [text.strip() for text in shown] == [as_text(m).strip() for m in expected]
        assert all(section in "\n".join(shown) for section in SECTIONS)
        assert page.locator(".bubble.assistant strong").count() > 5  # headings stay bold
        screenshot(page, "web-chat.png", tmp_path)

        ask(page, OUT_OF_SCOPE)
        escalated = page.locator(".bubble.assistant", has_text="案件编号")
        escalated.wait_for()
        case_id = int(re.search(r"#(\d+)", escalated.inner_text()).group(1))
        token = page.evaluate(f"() => localStorage.getItem('{STORAGE}')")
    inquiries = ledger.inquiries(web_user(token))
    assert [(i.channel, i.action, i.case_id) for i in inquiries] == [("web", "answer", None),
                                                                     ("web", "escalate", case_id)]
    assert ledger.case(case_id).question == OUT_OF_SCOPE


def test_report_an_error_from_the_page(web, ledger):
    with chromium() as browser:
        page = open_chat(browser, web.url + "/")
        ask(page, "护照怎么办理")
        page.get_by_role("button", name="⚠️ 信息有误").click()
        page.locator(".bubble", has_text="哪里有误").wait_for()
        ask(page, "窗口说还要带户口本")
        page.locator(".bubble", has_text="已记录为信息纠错").wait_for()
    report = ledger.error_reports()[-1]
    assert (report.channel, report.service_id, report.text) == ("web", "passport", "窗口说还要带户口本")


def test_a_correction_notice_offers_the_new_checklist_on_the_page(web, ledger, knowledge_copy):
    """The notice ends with "press the button below for the full new checklist": the page shows that button."""
    from bot.answering import corrections

    with chromium() as browser:
        page = open_chat(browser, web.url + "/")
        ask(page, "护照怎么办理")
        page.locator(".bubble.assistant", has_text="需要准备的材料").wait_for()
        pending, new, since = correct_passport_fee(ledger, knowledge_copy)
        corrections.send(ledger, new, pending.correction, since)
        page.locator(".bubble.staff", has_text="点下方按钮可查看完整的新清单").wait_for(timeout=30_000)
        checklists = page.locator(".bubble.assistant", has_text="需要准备的材料")
        assert checklists.count() == 1
        page.locator(".buttons").last.get_by_role("button", name="📋 查看新清单").click()
        page.locator(".bubble.assistant", has_text="需要准备的材料").nth(1).wait_for()
        assert "普通护照申领" in checklists.nth(1).inner_text()


def test_the_buttons_work_from_the_keyboard_and_save_the_tailored_list(web, knowledge):
    with chromium() as browser:
        page = open_chat(browser, web.url + "/")
        ask(page, "身份证丢了怎么补办")
        page.get_by_role("button", name="按我的情况筛选").wait_for()
        page.get_by_role("button", name="按我的情况筛选").focus()
        page.keyboard.press("Enter")
        tailored = page.locator(".bubble.assistant", has_text="以上清单已按您的情况筛选")
        for _ in range(10):
            if tailored.count():
                break
            no = page.locator(".buttons").last.get_by_role("button", name="否")
            no.wait_for()
            no.focus()
            page.keyboard.press("Enter")
            page.wait_for_timeout(300)
        tailored.wait_for()
        with page.expect_download() as download:
            page.get_by_role("button", name="保存清单").last.focus()
            page.keyboard.press("Enter")
        saved = Path(download.value.path()).read_text(encoding="utf-8")
        name = knowledge.services["id_card_replacement"].name.zh
        assert f"<h1>{name}</h1>" in saved and "一次性告知材料清单" in saved and "您的情况" in saved


COLOURS = """() => [...document.querySelectorAll('h1, .switch, .intro, .examples, label, button, .bubble .who, .bubble .text')]
  .map((element) => {
    let back = element;
    while (back && getComputedStyle(back).backgroundColor === 'rgba(0, 0, 0, 0)') back = back.parentElement;
    return [getComputedStyle(element).color, back ? getComputedStyle(back).backgroundColor : 'rgb(255, 255, 255)'];
  })"""


def contrast(foreground: str, background: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_on_the_page_meets_the_contrast_minimum(web):
    with chromium() as browser:
        page = open_chat(browser, web.url + "/")
        ask(page, "护照怎么办理")
        page.locator(".bubble.assistant", has_text="需要准备的材料").wait_for()
        pairs = page.evaluate(COLOURS)
    assert len(pairs) > 10
    assert min(contrast(fg, bg) for fg, bg in pairs) >= 4.5  # WCAG 2 AA for normal text


def test_html_in_a_question_is_shown_as_text(web):
    with chromium() as browser:
        page = open_chat(browser, web.url + "/")
        title = page.title()
        ask(page, MARKUP)
        page.locator(".bubble.assistant", has_text="案件编号").wait_for()
        assert page.locator(".bubble.you .text").last.inner_text() == MARKUP
        assert page.locator("#log img").count() == 0 and page.locator("#log b").count() == 0
        assert page.title() == title


def test_the_page_rebuilds_only_bold_italic_and_web_links_from_an_answer(web):
    """Defence in depth: should an answer ever carry markup the renderer did not escape, it stays text."""
    raw = ('<b>粗体</b><img src=x onerror="document.title=1"><script>1</script><i>斜体</i>'
           '<a href="javascript:alert(1)">坏链接</a><a href="https://zwfw.hubei.gov.cn">好链接</a>')
    with chromium() as browser:
        page = open_chat(browser, web.url + "/")
        shown = page.evaluate("(raw) => { const box = document.createElement('div'); appendTelegramHtml(box, raw); "
                              "return box.innerHTML; }", raw)
    assert shown == ('<strong>粗体</strong>1<em>斜体</em>坏链接<a href="https://zwfw.hubei.gov.cn" '
                     'rel="noopener noreferrer" target="_blank">好链接</a>')


def test_the_language_switch_keeps_the_session_and_answers_in_english(web, ledger):
    with chromium() as browser:
        page = open_chat(browser, web.url + "/")
        ask(page, "护照怎么办理")
        page.locator(".bubble.assistant", has_text="需要准备的材料").wait_for()
        page.get_by_role("link", name="English").click()
        page.wait_for_selector("body[data-ready=true]")
        assert page.get_attribute("html", "lang") == "en"
        ask(page, "How do I renew my passport?")
        page.locator(".bubble.assistant", has_text="Documents to bring").wait_for()
        token = page.evaluate(f"() => localStorage.getItem('{STORAGE}')")
    assert [i.language for i in ledger.inquiries(web_user(token))] == ["zh", "en"]


def test_the_desk_refuses_without_login_then_prints_a_checklist(web, ledger, tmp_path):
    assert httpx.post(web.url + "/desk/api/search", json={"query": "护照"}).status_code == 401
    assert httpx.post(web.url + "/desk/api/told", json={"id": "passport"}).status_code == 401
    assert httpx.get(web.url + "/desk/print/1").status_code == 401
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.goto(web.url + "/desk")
        page.wait_for_selector("body[data-ready=true]")
        assert page.is_visible("#login-view") and not page.is_visible("#desk-view")
        page.get_by_label("姓名或工号").fill("王芳")
        page.get_by_label("导办台密码").fill("wrong password")
        page.get_by_role("button", name="登录").click()
        page.get_by_text("密码不正确").wait_for()
        page.get_by_label("导办台密码").fill(DESK_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("#desk-view:not([hidden])")
        cookie = next(c for c in context.cookies() if c["name"] == "desk")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/desk"

        page.get_by_label("查找事项").fill("护照")
        page.get_by_label("查找事项").press("Enter")
        page.get_by_role("button", name="普通护照申领").click()
        page.locator("#checklist", has_text="需要准备的材料").wait_for()
        page.locator("fieldset.condition", has_text="代为办理").get_by_label("是").check()
        page.locator("#checklist", has_text="您的情况").wait_for()
        page.get_by_role("button", name="打印并登记已告知").click()
        page.wait_for_selector("body[data-printed]")
        record = int(page.get_attribute("body", "data-printed"))
        assert "已登记：王芳" in page.inner_text("#status")
        page.frame_locator("#preview").get_by_text("一次性告知材料清单").wait_for()
        screenshot(page, "desk.png", tmp_path, full_page=True)

        printed = context.new_page()
        printed.goto(f"{web.url}/desk/print/{record}")
        pdf = printed.pdf(path=str(tmp_path / "checklist.pdf"))
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
        screenshot(printed, "desk-print.png", tmp_path, full_page=True)
    told = ledger.inquiry(record)
    assert (told.channel, told.service_id, told.chat_id, told.answers) == ("desk", "passport", "staff:王芳",
                                                                          {"agent": True})
    assert told.user_id.startswith("desk:") and "需要准备的材料" in told.reply


def test_both_channels_in_one_process_a_web_case_reaches_staff_and_the_reply_reaches_the_page(api, tmp_path):
    port = free_port()
    bot = BotProcess(api, tmp_path / "ledger.db", WEB_PORT=str(port), WEB_HOST="127.0.0.1").start()
    url = f"http://127.0.0.1:{port}"
    try:
        bot.wait_until_serving(url + "/")
        with chromium() as browser:
            page = open_chat(browser, url + "/")
            ask(page, MARKUP)
            escalated = page.locator(".bubble.assistant", has_text="案件编号")
            escalated.wait_for()
            case_id = int(re.search(r"#(\d+)", escalated.inner_text()).group(1))
            [card] = message_to(api, api.staff_chat_id, f"案件 #{case_id}", timeout=30)
            assert html.escape(MARKUP, quote=False) in card["params"]["text"]  # text, not markup, in Telegram HTML
            assert card["params"]["parse_mode"] == "HTML"

            api.staff_says(9001, "养犬登记请到辖区派出所办理。<i>带户口本</i>", reply_to=card["result"], name="李明")
            reply = page.locator(".bubble.staff", has_text="养犬登记请到辖区派出所办理")
            reply.wait_for(timeout=30_000)
            assert "<i>带户口本</i>" in reply.inner_text() and page.locator(".bubble.staff i").count() == 0
            message_to(api, api.staff_chat_id, f"已转达市民（案件 #{case_id}）", timeout=30)

            api.staff_says(9001, f"/close {case_id}", name="李明")
            page.locator(".bubble.staff", has_text="请为本次服务评分").wait_for(timeout=30_000)
            page.locator(".buttons").last.get_by_role("button", name="5").click()
            page.get_by_text("感谢您的评价").wait_for()
    finally:
        assert bot.stop() == 0
    ledger = Ledger(tmp_path / "ledger.db")
    case = ledger.case(case_id)
    assert (case.channel, case.status, case.rating) == ("web", "closed", 5)
    assert [e.kind for e in ledger.case_events(case_id)] == ["opened", "claimed", "replied", "closed", "rated"]
    # Nothing was even tried towards a chat that is not the staff chat (a web session is no Telegram chat).
    assert {r["params"].get("chat_id") for r in api.requests if r["method"].startswith(("send", "copy"))} \
        == {api.staff_chat_id}
