"""The OpenAPI description of /api/v1/ (served at /api/v1/openapi.json)."""

from __future__ import annotations

from functools import cache

from bot.knowledge.model import LANGUAGES

SESSION = {"type": "string", "description": "The token from a previous answer; the ledger keeps only its hash."}
LANGUAGE = {"type": "string", "enum": list(LANGUAGES)}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def _body(required: list[str], **properties) -> dict:
    schema = {"type": "object", "properties": {"session": SESSION, "language": LANGUAGE, **properties},
              "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _answer(description: str, schema: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


REFUSALS = {
    "400": {"$ref": "#/components/responses/Refused"}, "401": {"$ref": "#/components/responses/Refused"},
    "404": {"$ref": "#/components/responses/Refused"}, "413": {"$ref": "#/components/responses/Refused"},
    "415": {"$ref": "#/components/responses/Refused"}, "429": {"$ref": "#/components/responses/Refused"},
}

OPERATIONS = [
    ("/api/v1/session", "Start a session", _body([]), "Session"),
    ("/api/v1/ask", "Ask a question: the complete checklist, a clarification, or a case number",
     _body(["text"], text={"type": "string", "maxLength": 4096}), "Reply"),
    ("/api/v1/choose", "Pick a service (from a clarification with inquiry_id, or while browsing)",
     _body(["session", "service"], service={"type": "string"}, inquiry_id=ID), "Reply"),
    ("/api/v1/tailor", "Tailor the checklist: send the answers so far; get the next yes/no question or the list",
     _body(["session", "inquiry_id"], inquiry_id=ID,
           answers={"type": "object", "additionalProperties": {"type": "boolean"}}), "Reply"),
    ("/api/v1/ask-person", "Ask a person about an answered or clarified question (opens or joins a case)",
     _body(["session", "inquiry_id"], inquiry_id=ID), "Reply"),
    ("/api/v1/feedback", "This answers my question", _body(["session", "inquiry_id"], inquiry_id=ID), "Notice"),
    ("/api/v1/printable", "The printable checklist (HTML page with tick boxes)",
     _body(["session", "inquiry_id"], inquiry_id=ID), "Printable"),
    ("/api/v1/case", "The session's open case", _body(["session"]), "MyCase"),
    ("/api/v1/case/close", "Close the session's open case (a rating is then asked in the messages)",
     _body(["session"]), "Notice"),
    ("/api/v1/rate", "Rate a closed case 1-5 (2 or less reopens it)",
     _body(["session", "case_id", "stars"], case_id=ID, stars={"type": "integer", "minimum": 1, "maximum": 5}),
     "Notice"),
    ("/api/v1/comment", "Say what went wrong after a low rating",
     _body(["session", "case_id", "text"], case_id=ID, text={"type": "string"}), "Notice"),
    ("/api/v1/report-error", "Report a mistake in an answer: what it got wrong, for the office that owns the entry",
     _body(["session"], inquiry_id=ID, text={"type": "string"}), "Notice"),
    ("/api/v1/messages", "New messages of the session after `after`: staff replies, closed cases to rate, "
     "corrections of a checklist given earlier (with a button for the new one)",
     _body(["session"], after={"type": "integer", "minimum": 0}), "Inbox"),
]

BUTTON = {"type": "object", "properties": {
    "action": {"type": "string", "enum": ["choose", "tailor", "answer", "printable", "helpful", "ask_person", "rate"]},
    "label": {"type": "string"}, "service": {"type": "string"}, "condition": {"type": "string"},
    "value": {"type": "boolean"}, "case_id": ID, "stars": {"type": "integer"}}}

SCHEMAS = {
    "Session": {"type": "object", "properties": {"session": SESSION, "language": LANGUAGE}},
    "Reply": {"type": "object", "properties": {
        "session": SESSION,
        "action": {"type": "string", "enum": ["answer", "clarify", "escalate", "refer", "chosen", "prompt", "smalltalk", "condition"]},
        "service": {"type": ["string", "null"]}, "event": {"type": ["string", "null"]},
        "options": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"},
                                                                                "name": {"type": "string"}}}},
        "messages": {"type": "array", "items": {"type": "string"},
                     "description": "Telegram HTML: text escaped, markup only <b> and <a href>; as sent on Telegram."},
        "case_id": {"type": ["integer", "null"]}, "inquiry_id": {"type": "integer"}, "language": LANGUAGE,
        "tailored": {"type": "boolean"}, "buttons": {"type": "array", "items": BUTTON},
        "condition": {"type": "object", "description": "with action 'condition': the next yes/no question"}}},
    "Notice": {"type": "object", "properties": {"session": SESSION, "notice": {"type": "string"},
                                                "comment": {"type": "boolean"}}},
    "Printable": {"type": "object", "properties": {"session": SESSION, "filename": {"type": "string"},
                                                   "html": {"type": "string"}}},
    "MyCase": {"type": "object", "properties": {"session": SESSION, "case": {"type": ["object", "null"]},
                                                "text": {"type": "string"}}},
    "Inbox": {"type": "object", "properties": {
        "session": SESSION, "last": {"type": "integer"},
        "messages": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["reply", "closed", "correction"]},
            "case_id": {"type": ["integer", "null"]},
            "service": {"type": ["string", "null"], "description": "with kind 'correction': the corrected service"},
            "at": {"type": "string"}, "header": {"type": "string"},
            "text": {"type": "string", "description": "plain text, not HTML"}, "buttons": {"type": "array", "items": BUTTON}}}}}},
    "Refusal": {"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
}


@cache  # the same for every request: built once per process (callers only read it)
def openapi() -> dict:
    paths = {path: {"post": {"summary": summary, "requestBody": body, "responses": {"200": _answer(summary, schema),
                                                                                   **REFUSALS}}}
             for path, summary, body, schema in OPERATIONS}
    paths["/api/v1/services"] = {"get": {"summary": "Categories and their services, in both languages",
                                         "responses": {"200": {"description": "the catalogue"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Government service counter assistant: web channel", "version": "1",
                 "description": "Every request body is JSON (Content-Type: application/json) within the size limit; "
                                "requests are rate-limited per session and per address."},
        "paths": paths,
        "components": {"schemas": SCHEMAS, "responses": {"Refused": {
            "description": "refused, with a reason", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Refusal"}}}}}},
    }
