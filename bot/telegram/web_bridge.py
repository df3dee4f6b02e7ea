"""The staff chat for the web channel: when both channels run in one process, web cases get their card and
thread lines here, and staff replies come back through CaseDesk into the web session's inbox."""

from __future__ import annotations

from bot.records.rows import ErrorReport
from bot.telegram.formatting import esc
from bot.telegram.sender import Sender
from bot.telegram.services import Services
from bot.telegram.staff_chat import post_case, post_error_report, queue_card_refresh, queue_case_thread


class TelegramStaffChat:
    """bot.web.services.StaffChat on the Telegram staff chat (the web wing never imports telegram).

    Async because that interface is awaited; each method only queues in the outbox."""

    def __init__(self, services: Services):
        self.services = services

    async def case_opened(self, case_id: int) -> None:
        post_case(self.services, self.services.ledger.case(case_id))

    async def tell(self, case_id: int, text: str, scope: str) -> None:
        queue_case_thread(self.services, Sender(self.services.outbox, scope), case_id, esc(text), key="web")

    async def case_changed(self, case_id: int, scope: str) -> None:
        queue_card_refresh(self.services, Sender(self.services.outbox, scope), self.services.ledger.case(case_id))

    async def error_reported(self, report: ErrorReport) -> None:
        post_error_report(self.services, report, who=f"web {report.user_id}")


def web_services_for(services: Services):
    """The web channel's services on the bot's own ledger, knowledge and case desk."""
    from bot.web.services import build_web_services

    return build_web_services(services.config, services.ledger, services.store, services.assistant, services.desk,
                              TelegramStaffChat(services))
