"""The offline console chat: the same answering path as Telegram, in a terminal, with no token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from bot.answering.assistant import CHOSEN, Assistant, Reply
from bot.answering.matching import ANSWER, CLARIFY
from bot.answering.messages import message
from bot.answering.printable import printable_checklist
from bot.answering.render import PLAIN
from bot.answering.tailoring import Tailoring, conditions_of, next_condition

BANNER = """政务服务咨询助手（离线模式） / Government service assistant (offline)
输入您的问题，例如“身份证丢了怎么补办”。Type a question, e.g. "How do I renew my passport?"
命令 Commands: /tailor 按情况筛选 tailor the list, /save 保存清单 save as file, /en English, /zh 中文, /quit 退出"""
YES, NO = {"y", "yes", "是", "1"}, {"n", "no", "否", "0"}


class ConsoleChat:
    """One person at the terminal: remembers the last reply so that numbers, /tailor and /save refer to it."""

    def __init__(self, assistant: Assistant, language: str | None, read: Callable[[str], str],
                 write: Callable[[str], None], user_id: str, save_dir: Path):
        self.assistant, self.language, self.read, self.write = assistant, language, read, write
        self.user_id, self.save_dir = user_id, save_dir
        self.last: Reply | None = None
        self.last_question = ""

    def run(self) -> None:
        self.write(BANNER)
        while True:
            try:
                line = self.read("\n> ").strip()
            except (EOFError, KeyboardInterrupt):
                self.write("")
                return
            if line in ("/quit", "/exit", "/q"):
                return
            self.handle(line)

    def handle(self, line: str) -> None:
        if line in ("/en", "/zh"):
            self.language = line[1:]
            self.write("Replies in English." if self.language == "en" else "以中文回复。")
        elif line == "/tailor":
            self.tailor()
        elif line == "/save":
            self.save()
        elif self.last and self.last.decision.action == CLARIFY and line.isdigit() \
                and 1 <= int(line) <= len(self.last.decision.options):
            self.show(self.assistant.choose(self.last.decision.options[int(line) - 1], question=self.last_question,
                                            channel="console", user_id=self.user_id, language=self.reply_language,
                                            fmt=PLAIN))
        else:
            self.last_question = line
            self.show(self.assistant.ask(line, channel="console", user_id=self.user_id, language=self.language,
                                         fmt=PLAIN))

    @property
    def reply_language(self) -> str:
        return self.language or (self.last.language if self.last else "zh")

    def target(self) -> tuple[str | None, bool]:
        decision = self.last.decision if self.last else None
        if decision is None:
            return None, False
        if decision.event_id:
            return decision.event_id, True
        return (decision.service_id, False) if decision.action in (ANSWER, CHOSEN) else (None, False)

    def show(self, reply: Reply) -> None:
        self.last = reply
        self.write("\n\n".join(reply.messages))
        language = reply.language
        if reply.decision.action == CLARIFY:
            self.write("（输入序号选择 / type a number to choose）")
        target, is_event = self.target()
        if target and conditions_of(self.assistant.store.current.knowledge, target, is_event) and not reply.tailored:
            self.write(f"（/tailor {message('button.tailor', language)}　/save {message('button.file', language)}）")

    def tailor(self) -> None:
        target, is_event = self.target()
        knowledge = self.assistant.store.current.knowledge
        if not target or not conditions_of(knowledge, target, is_event):
            self.write(message("tailor.expired", self.reply_language))
            return
        state = Tailoring(self.last.inquiry_id, target, is_event)
        total = len(conditions_of(knowledge, target, is_event))
        while (condition := next_condition(knowledge, state)) is not None:
            prompt = message("tailor.question", self.reply_language, n=len(state.answers) + 1, total=total,
                             question=condition.question.get(self.reply_language))
            try:
                answer = self.read(f"{prompt} [y/n] ").strip().lower()
            except (EOFError, KeyboardInterrupt):
                return
            if answer in YES | NO:
                state.answers[condition.id] = answer in YES
        common = dict(question=self.last_question, channel="console", user_id=self.user_id,
                      language=self.reply_language, fmt=PLAIN, answers=state.answers)
        self.show(self.assistant.choose_event(target, **common) if is_event else
                  self.assistant.choose(target, **common))

    def save(self) -> None:
        target, is_event = self.target()
        knowledge = self.assistant.store.current.knowledge
        if not target:
            self.write(message("tailor.expired", self.reply_language))
            return
        answers = self.assistant.ledger.inquiry(self.last.inquiry_id).answers
        issued = dt.date.today()
        page = printable_checklist(knowledge, self.reply_language, answers=answers,
                                   issued=issued, **({"event": knowledge.events[target]} if is_event
                                                     else {"service": knowledge.services[target]}))
        self.save_dir.mkdir(parents=True, exist_ok=True)
        path = self.save_dir / f"checklist-{target}-{issued.isoformat()}.html"
        path.write_text(page, encoding="utf-8")
        self.write(f"{message('file.caption', self.reply_language, date=issued.isoformat())}: {path}")


def run_console(assistant: Assistant, language: str | None = None, *, read: Callable[[str], str] = input,
                write: Callable[[str], None] = print, user_id: str = "console") -> None:
    """Read questions until end of input; a number picks an option of the last clarification."""
    save_dir = Path(assistant.ledger.path).parent / "checklists" if assistant.ledger.path != ":memory:" else Path(".")
    ConsoleChat(assistant, language, read, write, user_id, save_dir).run()
