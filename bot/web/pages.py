"""The two pages, filled in from messages.yaml in Chinese (/ and /desk) or English (/en and /desk/en).

Every value is escaped into the template; the pages carry no inline script or style (see the CSP in
security.py): behaviour comes from /static/*.js, and the few sentences the scripts need ride in a
data attribute.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.answering.messages import message

CHAT_TEXT = ("title", "intro", "examples", "conversation", "input_label", "placeholder", "send", "my_case",
             "end_case", "noscript")
DESK_TEXT = {"desk_title": "desk.title", "login_title": "desk.login_title", "name": "desk.name",
             "password": "desk.password", "login": "desk.login", "logout": "desk.logout",
             "logged_in": "desk.logged_in", "search_label": "desk.search_label", "search": "desk.search",
             "results": "desk.results", "conditions": "desk.conditions", "print": "desk.print",
             "preview": "desk.preview"}


@cache
def _template(name: str) -> Template:
    return Template(resources.files("bot.web").joinpath("templates", name).read_text(encoding="utf-8"))


def _fill(name: str, language: str, values: dict[str, str], strings: dict[str, str], switch_href: str) -> str:
    other = "en" if language == "zh" else "zh"
    common = {"lang": language, "lang_tag": "zh-CN" if language == "zh" else "en",
              "other_tag": "zh-CN" if other == "zh" else "en", "switch": message("web.language_switch", language),
              "switch_href": switch_href, "strings": json.dumps(strings, ensure_ascii=False)}
    return _template(name).substitute({k: html.escape(v, quote=True) for k, v in {**common, **values}.items()})


@cache  # depends only on the language: messages.yaml and the templates are read once per process
def chat_page(language: str) -> str:
    values = {key: message(f"web.{key}", language) for key in CHAT_TEXT}
    strings = {"you": message("web.you", language), "assistant": message("web.assistant", language),
               "staff": message("web.staff", language), "saved": message("web.saved", language),
               "comment_prompt": message("web.comment_prompt", language),
               "report_prompt": message("wrong.ask", language),
               "error": message("web.error.generic", language), "no_case": message("mycase.none", language)}
    return _fill("chat.html", language, values, strings, "/en" if language == "zh" else "/")


@cache
def desk_page(language: str) -> str:
    values = {key: message(name, language) for key, name in DESK_TEXT.items()}
    strings = {"yes": message("yes", language), "no": message("no", language),
               "unknown": message("desk.unknown", language), "no_results": message("desk.no_results", language),
               "error": message("web.error.generic", language)}
    return _fill("desk.html", language, values, strings, "/desk/en" if language == "zh" else "/desk")


async def chat(request: Request) -> HTMLResponse:
    return HTMLResponse(chat_page("en" if request.url.path == "/en" else "zh"))


async def desk(request: Request) -> HTMLResponse:
    return HTMLResponse(desk_page("en" if request.url.path.endswith("/en") else "zh"))
