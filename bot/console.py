"""The offline console chat: the same answering path as Telegram, in a terminal, with no token."""

from __future__ import annotations

from collections.abc import Callable

from bot.assistant import Assistant
from bot.matching import CLARIFY
from bot.render import PLAIN

BANNER = """政务服务咨询助手（离线模式） / Government service assistant (offline)
输入您的问题，例如“身份证丢了怎么补办”。Type a question, e.g. "How do I renew my passport?"
命令 Commands: /en English, /zh 中文, /quit 退出"""


def run_console(assistant: Assistant, language: str | None = None, *, read: Callable[[str], str] = input,
                write: Callable[[str], None] = print, user_id: str = "console") -> None:
    """Read questions until end of input; a number picks an option of the last clarification."""
    write(BANNER)
    options: tuple[str, ...] = ()
    last_question, last_language = "", language or "zh"
    while True:
        try:
            line = read("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if line in ("/quit", "/exit", "/q"):
            return
        if line in ("/en", "/zh"):
            language = line[1:]
            write("Replies in English." if language == "en" else "以中文回复。")
            continue
        if options and line.isdigit() and 1 <= int(line) <= len(options):
            reply = assistant.choose(options[int(line) - 1], question=last_question, channel="console",
                                     user_id=user_id, language=language or last_language, fmt=PLAIN)
            options = ()
        else:
            last_question = line
            reply = assistant.ask(line, channel="console", user_id=user_id, language=language, fmt=PLAIN)
            options = reply.decision.options if reply.decision.action == CLARIFY else ()
            last_language = reply.language
        write("\n\n".join(reply.messages))
        if options:
            write("（输入序号选择 / type a number to choose）")
