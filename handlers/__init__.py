"""Telegram handlers, kept thin: read the update, call bot/, reply, record. Wired here, in order."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from handlers import admin, citizen, staff
from handlers.errors import report_error
from handlers.gate import gate


def register(application: Application) -> None:
    """Add every handler. Order matters: the gate runs first, the catch-all question handler last."""
    services = application.bot_data["services"]
    config = services.config
    private = filters.ChatType.PRIVATE
    staff_chat = filters.Chat(config.staff_chat_id)
    staff_places = staff_chat | (private & filters.User(list(config.staff_user_ids)))

    application.add_handler(TypeHandler(Update, gate), group=-1)

    # Citizens' commands (private chats).
    application.add_handler(CommandHandler(["start", "help"], citizen.start, filters=private))
    application.add_handler(CommandHandler("services", citizen.browse_categories, filters=private))
    application.add_handler(CommandHandler("mycase", citizen.my_case, filters=private))
    application.add_handler(CommandHandler("end", citizen.end_case, filters=private))
    application.add_handler(CommandHandler("language", citizen.choose_language, filters=private))
    application.add_handler(CommandHandler("district", citizen.choose_district, filters=private))

    # Staff commands: in the staff chat, or privately for STAFF_USER_IDS.
    application.add_handler(CommandHandler("open", staff.open_cases, filters=staff_places))
    application.add_handler(CommandHandler("mine", staff.my_cases, filters=staff_places))
    application.add_handler(CommandHandler("case", staff.show_case, filters=staff_places))
    application.add_handler(CommandHandler("transfer", staff.transfer_case, filters=staff_places))
    application.add_handler(CommandHandler("accept", staff.accept_transfer, filters=staff_places))
    application.add_handler(CommandHandler("close", staff.close_command, filters=staff_places))
    application.add_handler(CommandHandler("wrong", staff.report_wrong, filters=staff_places))

    # Admin commands: the handler itself refuses non-admins, so that they learn why.
    application.add_handler(CommandHandler("reload", admin.reload_knowledge))

    # Buttons. Each handler checks who pressed it; unknown data gets a polite refusal.
    for pattern, callback in (("^claim:", staff.claim_case), ("^close:", staff.close_case_button),
                              ("^pick:", citizen.picked), ("^mat:", citizen.picked), ("^wrong:", citizen.report_wrong), ("^dist:", citizen.district_chosen),
                              ("^notify:", admin.notify_corrections), ("^ask:", citizen.ask_person), ("^fb:", citizen.helpful),
                              ("^rate:", citizen.rated), ("^cat:", citizen.browse_category),
                              ("^svc:", citizen.browse_service), ("^lang:", citizen.language_chosen),
                              ("^tailor:", citizen.start_tailoring), ("^cond:", citizen.condition_answered),
                              ("^file:", citizen.save_as_file)):
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(CallbackQueryHandler(citizen.unknown_button))

    # Staff answers in a case's thread are relayed to the citizen.
    application.add_handler(MessageHandler(staff_chat & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
                                           staff.relay_staff_reply))

    # Citizens' messages. The catch-all question handler comes last.
    application.add_handler(MessageHandler(private & filters.COMMAND, citizen.start))
    application.add_handler(MessageHandler(private & filters.TEXT, citizen.question))  # new and edited messages
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, citizen.media))

    application.add_error_handler(report_error)
    application.job_queue.run_repeating(staff.supervise, interval=config.supervision_interval_seconds, first=5)
    if config.knowledge_watch:
        application.job_queue.run_repeating(admin.watch_knowledge, interval=3, first=3, data={"failed": None})
