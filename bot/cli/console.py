"""The offline console chat: the same answering path as Telegram, in a terminal, with no token.

Commands and small talk are answered here and never reach the matcher. Nobody can push a staff
answer into a terminal: answers given with `python -m bot reply` are shown when the chat opens
and on /cases.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from bot.answering.assistant import CHOSEN, Assistant, Reply
from bot.answering.matching import ANSWER, CLARIFY
from bot.answering.messages import message
from bot.answering.printable import checklist_file
from bot.answering.render import PLAIN
from bot.answering.tailoring import Tailoring, conditions_of, next_condition, question_count
from bot.records.cases import CaseDesk, Citizen
from bot.records.workdays import local_date, local_time, zone_label

CHANNEL = "console"
QUIT = {"/quit", "/exit", "/q"}
YES, NO = {"y", "yes", "是", "1"}, {"n", "no", "否", "0"}
YES_NO_WORDS = {"y", "n", "yes", "no", "是", "否", "是的", "不是"}
GREETINGS = {"hi", "hello", "hey", "你好", "您好", "嗨", "哈喽", "在吗", "在不在"}
THANKS = {"thanks", "thank you", "thx", "ok", "okay", "bye", "谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "好的",
          "好", "嗯", "再见", "拜拜"}


def small_talk(line: str) -> str | None:
    """The message key for a greeting or a thank-you, which is not a question for the matcher."""
    word = re.sub(r"[\s!！。.~～?？,，]+$", "", line.strip().lower())
    return "console.greeting" if word in GREETINGS else "console.thanks" if word in THANKS else None


class ConsoleChat:
    """One person at the terminal: remembers the last reply so that numbers, /tailor, /save and /person refer to it."""

    def __init__(self, assistant: Assistant, desk: CaseDesk, language: str | None, read: Callable[[str], str],
                 write: Callable[[str], None], user_id: str, save_dir: Path):
        self.assistant, self.desk, self.language, self.read, self.write = assistant, desk, language, read, write
        self.user_id, self.save_dir = user_id, save_dir
        self.last: Reply | None = None
        self.last_question = ""
        self.commands = {"/help": self.help, "/tailor": self.tailor, "/save": self.save, "/person": self.person,
                         "/cases": self.cases, "/en": lambda: self.switch("en"), "/zh": lambda: self.switch("zh")}

    def run(self) -> None:
        self.write(message("console.banner", self.reply_language, zone=zone_label(self.assistant.config.business_hours)))
        self.show_new_replies()
        while True:
            try:
                line = self.read("\n> ").strip()
            except (EOFError, KeyboardInterrupt):
                self.write("")
                return
            if line.lower() in QUIT:
                return
            self.handle(line)

    def handle(self, line: str) -> None:
        if not line:
            return
        if line.startswith("/"):
            command = self.commands.get(line.split()[0].lower())
            if command:
                command()
            else:
                self.say("console.unknown_command", command=line.split()[0])
        elif line.isdigit():
            self.choose(int(line))
        elif line.lower() in YES_NO_WORDS:
            self.say("console.no_question")  # y/n belong to /tailor's questions
        elif key := small_talk(line):
            self.say(key)
        else:
            self.last_question = line
            self.show(self.assistant.ask(line, channel=CHANNEL, user_id=self.user_id, language=self.language,
                                         fmt=PLAIN))

    def say(self, key: str, **values) -> None:
        self.write(message(key, self.reply_language, **values))

    @property
    def reply_language(self) -> str:
        return self.language or (self.last.language if self.last else "zh")

    def switch(self, language: str) -> None:
        self.language = language
        self.write("Replies in English." if language == "en" else "以中文回复。")

    def help(self) -> None:
        self.say("console.help", user=self.user_id)

    def choose(self, number: int) -> None:
        options = self.last.decision.options if self.last and self.last.decision.action == CLARIFY else ()
        if not 1 <= number <= len(options):
            self.say("console.no_choice")
            return
        self.show(self.assistant.choose(options[number - 1], question=self.last_question, channel=CHANNEL,
                                        user_id=self.user_id, language=self.reply_language, fmt=PLAIN))

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
            self.write(message("console.choose", language))
        if reply.case_id:
            return
        target, is_event = self.target()
        knowledge = self.assistant.store.current.knowledge
        tailorable = target and conditions_of(knowledge, target, is_event) and not reply.tailored
        self.write(message("console.hints" if tailorable else "console.person_hint", language))

    def person(self) -> None:
        if self.last is None:
            self.say("console.person_first")
            return
        reply = self.assistant.ask_person(self.last.inquiry_id, user_id=self.user_id, language=self.reply_language)
        if reply is not None:
            self.show(reply)

    def tailor(self) -> None:
        target, is_event = self.target()
        knowledge = self.assistant.store.current.knowledge
        if not target or not conditions_of(knowledge, target, is_event):
            self.say("tailor.expired")
            return
        state = Tailoring(self.last.inquiry_id, target, is_event)
        while (condition := next_condition(knowledge, state)) is not None:
            prompt = message("tailor.question", self.reply_language, n=len(state.answers) + 1,
                             total=question_count(knowledge, state),
                             question=condition.question.get(self.reply_language))
            try:
                answer = self.read(f"{prompt} [y/n] ").strip().lower()
            except (EOFError, KeyboardInterrupt):
                return
            if answer in YES | NO:
                state.answers[condition.id] = answer in YES
        common = dict(question=self.last_question, channel=CHANNEL, user_id=self.user_id,
                      language=self.reply_language, fmt=PLAIN, answers=state.answers)
        self.show(self.assistant.choose_event(target, **common) if is_event else
                  self.assistant.choose(target, **common))

    def save(self) -> None:
        target, is_event = self.target()
        issued = local_date(self.assistant.ledger.now(), self.assistant.config.business_hours)
        answers = self.assistant.ledger.inquiry(self.last.inquiry_id).answers if target else None
        saved = checklist_file(self.assistant.store.current.knowledge, self.reply_language, target, is_event,
                               answers=answers, issued=issued)
        if saved is None:
            self.say("tailor.expired")
            return
        self.save_dir.mkdir(parents=True, exist_ok=True)
        path = self.save_dir / saved.filename
        path.write_text(saved.html, encoding="utf-8")
        self.write(f"{message('file.caption', self.reply_language, date=issued.isoformat())}: {path}")

    # -- staff answers, given offline with `python -m bot reply` ----------------------------

    def _reply_line(self, case_id: int, at: dt.datetime, text: str) -> str:
        return message("console.reply", self.reply_language, case_id=case_id, text=text,
                       at=local_time(at, self.assistant.config.business_hours))

    def show_new_replies(self) -> None:
        """Answers not shown yet, when the chat opens; each is then recorded as shown."""
        unseen = self.desk.unseen_replies(self.user_id)
        if unseen:
            self.say("console.new_replies")
        for case, event in unseen:
            self.write(self._reply_line(case.id, event.at, event.detail.get("text") or ""))
            self.desk.mark_reply_seen(case.id, event.id, Citizen(self.user_id))

    def cases(self) -> None:
        """Every case of this user, with its status, due time and the answers given so far."""
        cases = self.desk.cases_of(self.user_id)
        if not cases:
            self.say("console.cases_none")
        business = self.assistant.config.business_hours
        for case in cases:
            status = message(f"console.status.{'open' if case.is_open else 'closed'}", self.reply_language)
            self.say("console.case_line", case_id=case.id, status=status, question=case.question,
                     due=local_time(case.due_at, business) if case.due_at else "—")
            replies = self.desk.replies_seen(case.id)
            for event, seen in replies:
                self.write("　" + self._reply_line(case.id, event.at, event.detail.get("text") or ""))
                if not seen:
                    self.desk.mark_reply_seen(case.id, event.id, Citizen(self.user_id))
            if not replies:
                self.say("console.no_reply_yet")


def run_console(assistant: Assistant, language: str | None = None, *, read: Callable[[str], str] = input,
                write: Callable[[str], None] = print, user_id: str = "console") -> None:
    """Read questions until end of input; a number picks an option of the last clarification."""
    save_dir = Path(assistant.ledger.path).parent / "checklists" if assistant.ledger.path != ":memory:" else Path(".")
    desk = CaseDesk.from_config(assistant.ledger, assistant.config, working_time=assistant.working_time)
    ConsoleChat(assistant, desk, language, read, write, user_id, save_dir).run()
