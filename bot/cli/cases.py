"""python -m bot reply: answer a case from the command line (the offline console's cases)."""

from __future__ import annotations

import click

from bot.cli.common import DATABASE_OPTION, load_config, open_ledger


@click.command()
@click.argument("case_id", metavar="CASE", type=int)
@click.argument("text")
@click.option("--staff", "staff_name", default="staff", show_default=True,
              help="Your name, recorded as the case's owner and shown in its history.")
@click.option("--close", is_flag=True, help="Close the case after answering it.")
@DATABASE_OPTION
def reply(case_id, text, staff_name, close, database_path):
    """Answer a case opened in the offline console; the citizen sees the answer when the chat opens or on /cases.

    An unclaimed case is claimed by whoever answers it first, as in the staff chat. Cases from
    Telegram are answered in the staff chat, where the answer reaches the citizen. Example:

        python -m bot reply 12 "请带户口簿原件到派出所办理。" --staff 王芳
    """
    from bot.records.cases import IS_CLOSED, NOT_FOUND, NOT_OWNER, CaseDesk, Staff

    config = load_config(database_path=database_path)
    ledger = open_ledger(config)
    try:
        desk = CaseDesk.from_config(ledger, config, working_time=None)  # answering and closing count no time
        case = desk.get(case_id)
        if case is not None and case.channel == "telegram":
            raise click.ClickException(f"Case #{case_id} came from Telegram; answer it in the staff chat (reply to its "
                                       "card), where the answer reaches the citizen.")
        staff = Staff(f"cli:{staff_name}", staff_name)
        outcome = desk.reply(case_id, staff, text) if case is None or case.is_open else None
        if outcome is None or outcome.status == IS_CLOSED:
            raise click.ClickException(f"Case #{case_id} is closed; there is nobody waiting for an answer.")
        if outcome.status == NOT_FOUND:
            raise click.ClickException(f"There is no case #{case_id} in {config.database_path}; check the number "
                                       "(python -m bot history --user console lists the console's cases).")
        if outcome.status == NOT_OWNER:
            raise click.ClickException(f"Case #{case_id} is owned by {outcome.case.owner_name}; answer as that person "
                                       f"with --staff {outcome.case.owner_name!r}.")
        if close:
            desk.close(case_id, staff, "answered from the command line")
    finally:
        ledger.close()
    click.echo(f"Answered case #{case_id} as {staff_name}" + (" and closed it" if close else "")
               + "; the citizen sees the answer when the console chat opens or on /cases.")


COMMANDS = (reply,)
