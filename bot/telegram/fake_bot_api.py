"""A fake Telegram Bot API server on 127.0.0.1, speaking real HTTP, for end-to-end tests.

The bot under test is pointed at it with TELEGRAM_API_URL (PTB's base_url). The server keeps
every request the bot makes, hands out updates through long-polled getUpdates (acknowledged
by the offset, as Telegram does), and can be told to fail: 429 with retry_after, 502, no answer
(a timeout), 403 (the user blocked the bot), 409 (another getUpdates is running) or a 400 whose
description echoes the request path, token included, in lower case.
"""

from __future__ import annotations

import collections
import contextlib
import email.parser
import email.policy
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

BOT_ID = 777000111
JSON_FIELDS = {"chat_id", "from_chat_id", "message_id", "reply_markup", "reply_parameters", "offset", "limit",
               "timeout", "allowed_updates", "message_thread_id", "show_alert", "entities", "caption_entities",
               "link_preview_options", "disable_notification", "protect_content", "reply_to_message_id",
               "icon_color", "drop_pending_updates", "max_connections", "cache_time", "user_id"}


class FakeBotApi:
    """Start with .start(); stop with .stop(). Thread-safe."""

    def __init__(self, token: str = "123456:TEST-token-0123456789abcdefghij", staff_chat_id: int = -1001,
                 staff_is_forum: bool = False, first_update_id: int = 1):
        self.token = token
        self.staff_chat_id = staff_chat_id
        self.staff_is_forum = staff_is_forum
        self.requests: list[dict] = []  # every call: {"method", "params", "at"}
        self.updates: list[dict] = []
        self.deliveries: collections.Counter[int] = collections.Counter()  # update_id -> times getUpdates gave it
        self._redeliver: list[dict] = []
        self.acknowledged = 0  # highest offset the bot confirmed
        self.faults: list[dict] = []  # {"method", "kind", "remaining", ...}
        self.blocked_users: set[int] = set()
        self._lock = threading.Condition()
        self._update_ids = itertools.count(first_update_id)  # Telegram's ids keep growing across restarts
        self._message_ids = itertools.count(1000)
        self._topic_ids = itertools.count(500)
        self.messages: dict[tuple[int, int], dict] = {}  # (chat_id, message_id) -> message as sent
        self.server: ThreadingHTTPServer | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # otherwise every waited-for reply costs ~40 ms

            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                fake._handle(self)

            do_GET = do_POST  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    # -- what tests drive ------------------------------------------------------------------

    def user(self, user_id: int, language_code: str | None = "zh-hans", name: str | None = None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": name or f"User{user_id}"}
        if language_code:
            user["language_code"] = language_code
        return user

    def private_chat(self, user_id: int) -> dict:
        return {"id": user_id, "type": "private", "first_name": f"User{user_id}"}

    def staff_chat(self) -> dict:
        chat = {"id": self.staff_chat_id, "type": "supergroup", "title": "Counter staff"}
        if self.staff_is_forum:
            chat["is_forum"] = True
        return chat

    def push(self, kind: str, payload: dict) -> int:
        with self._lock:
            update_id = next(self._update_ids)
            self.updates.append({"update_id": update_id, kind: payload})
            self._lock.notify_all()
            return update_id

    def redeliver(self, update_id: int) -> None:
        """Hand out an update again although the bot moved past it, as Telegram does when the bot's
        stored offset was lost (it crashed before saving it): the same update_id, the same content."""
        with self._lock:
            self._redeliver.append(next(u for u in self.updates if u["update_id"] == update_id))
            self._lock.notify_all()

    def new_message(self, user: dict, chat: dict, **content) -> dict:
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": user, **content}

    def citizen_says(self, user_id: int, text: str, language_code: str | None = "zh-hans", **extra) -> int:
        message = self.new_message(self.user(user_id, language_code), self.private_chat(user_id), text=text, **extra)
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self.push("message", message)

    def citizen_sends(self, user_id: int, language_code: str | None = "zh-hans", **content) -> int:
        """A non-text message: photo=[...], sticker={...}, voice={...}, document={...}."""
        return self.push("message", self.new_message(self.user(user_id, language_code), self.private_chat(user_id),
                                                     **content))

    def press(self, user_id: int, message: dict, data: str, language_code: str | None = "zh-hans") -> int:
        """A user presses a button with `data` under a message the bot sent (a sent record's 'result')."""
        return self.push("callback_query", {"id": f"cb{next(self._message_ids)}",
                                            "from": self.user(user_id, language_code), "chat_instance": "ci",
                                            "data": data, "message": message})

    def staff_says(self, user_id: int, text: str, reply_to: dict | None = None, thread_id: int | None = None,
                   name: str | None = None, **content) -> int:
        extra = dict(content)
        if text:
            extra["text"] = text
            if text.startswith("/"):
                extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to is not None:
            extra["reply_to_message"] = reply_to
        if thread_id is not None:
            extra["message_thread_id"] = thread_id
            extra["is_topic_message"] = True
        return self.push("message", self.new_message(self.user(user_id, "zh-hans", name), self.staff_chat(), **extra))

    def fail(self, method: str, kind: str, times: int = 1, retry_after: int = 1, chat_id: int | None = None) -> None:
        """Make the next `times` calls of `method` fail: kind is '429', '502', 'timeout', '403', '409' or 'echo'."""
        with self._lock:
            self.faults.append({"method": method, "kind": kind, "remaining": times, "retry_after": retry_after,
                                "chat_id": chat_id})

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[dict]:
        """Successful outgoing calls (sendMessage, copyMessage, ...) with their results."""
        with self._lock:
            return [r for r in self.requests if r.get("ok") and r["method"] in _SENDING
                    and (method is None or r["method"] == method)
                    and (chat_id is None or r["params"].get("chat_id") == chat_id)]

    def texts(self, chat_id: int) -> list[str]:
        return [r["params"].get("text") or r["params"].get("caption") or "" for r in self.sent(chat_id)]

    def sent_containing(self, chat_id: int, contains: str) -> list[dict]:
        """Messages sent to chat_id whose text or caption contains `contains` (which must say something)."""
        if not contains:
            raise ValueError("name the text you expect: an empty string matches any message")
        return [r for r in self.sent(chat_id)
                if contains in (r["params"].get("text") or r["params"].get("caption") or "")]

    def pending_updates(self) -> int:
        with self._lock:
            return len([u for u in self.updates if u["update_id"] >= self.acknowledged])

    # -- the HTTP side ---------------------------------------------------------------------

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        path = http.path.split("?")[0]
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return self._reply(http, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        method = path[len(prefix):]
        params = self._params(http)
        fault = self._take_fault(method, params)
        record = {"method": method, "params": params, "at": time.time(), "ok": False}
        with self._lock:
            self.requests.append(record)
        if fault:
            return self._fault(http, fault)
        if params.get("chat_id") in self.blocked_users and method in _SENDING:
            return self._reply(http, 403, {"ok": False, "error_code": 403,
                                           "description": "Forbidden: bot was blocked by the user"})
        try:
            result = getattr(self, f"_api_{method}", self._api_unknown)(params)
        except _ApiError as exc:
            return self._reply(http, exc.code, {"ok": False, "error_code": exc.code, "description": exc.description})
        record["ok"], record["result"] = True, result
        self._reply(http, 200, {"ok": True, "result": result})

    def _params(self, http: BaseHTTPRequestHandler) -> dict:
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        content_type = http.headers.get("Content-Type", "")
        raw: dict[str, object] = {}
        if content_type.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                raw[name] = {"filename": part.get_filename(), "bytes": payload} if part.get_filename() else \
                    payload.decode("utf-8")
        elif content_type.startswith("application/json"):
            return json.loads(body or b"{}")
        else:
            raw = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        params = {}
        for key, value in raw.items():
            if key in JSON_FIELDS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            params[key] = value
        return params

    def _take_fault(self, method: str, params: dict) -> dict | None:
        with self._lock:
            for fault in self.faults:
                if fault["method"] == method and fault["remaining"] > 0 and \
                        (fault["chat_id"] is None or fault["chat_id"] == params.get("chat_id")):
                    fault["remaining"] -= 1
                    return fault
        return None

    def _fault(self, http, fault: dict) -> None:
        kind = fault["kind"]
        if kind == "429":
            return self._reply(http, 429, {"ok": False, "error_code": 429,
                                           "description": f"Too Many Requests: retry after {fault['retry_after']}",
                                           "parameters": {"retry_after": fault["retry_after"]}})
        if kind == "502":
            body = b"<html><body>502 Bad Gateway</body></html>"
            http.send_response(502)
            http.send_header("Content-Type", "text/html")
            http.send_header("Content-Length", str(len(body)))
            http.end_headers()
            http.wfile.write(body)
            return None
        if kind == "403":
            return self._reply(http, 403, {"ok": False, "error_code": 403,
                                           "description": "Forbidden: bot was blocked by the user"})
        if kind == "409":
            return self._reply(http, 409, {"ok": False, "error_code": 409, "description": "Conflict: terminated by "
                                           "other getUpdates request; make sure that only one bot instance is running"})
        if kind == "echo":  # some proxies and API servers repeat the request line, in lower case
            path = http.path.split("?")[0].lower()
            return self._reply(http, 400, {"ok": False, "error_code": 400,
                                           "description": f"bad request: can't parse request {path}"})
        if kind == "timeout":
            time.sleep(fault.get("seconds", 12))  # longer than the client's read timeout
            return None
        raise ValueError(kind)

    @staticmethod
    def _reply(http, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        try:
            http.send_response(status)
            http.send_header("Content-Type", "application/json")
            http.send_header("Content-Length", str(len(body)))
            http.end_headers()
            http.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- API methods -------------------------------------------------------------------------

    def _bot_user(self) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Counter bot", "username": "counter_test_bot",
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _api_getMe(self, params):  # noqa: N802
        return self._bot_user()

    def _api_getUpdates(self, params):  # noqa: N802
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)  # keep the tests quick
        deadline = time.monotonic() + timeout
        with self._lock:
            if offset:
                self.acknowledged = max(self.acknowledged, offset)
            while True:
                ready = self._redeliver + [u for u in self.updates if u["update_id"] >= max(offset, self.acknowledged)]
                if ready or time.monotonic() >= deadline:
                    ready = ready[: int(params.get("limit") or 100)]
                    self._redeliver = [u for u in self._redeliver if u not in ready]
                    self.deliveries.update(u["update_id"] for u in ready)
                    return ready
                self._lock.wait(timeout=max(0.0, deadline - time.monotonic()))

    def _api_deleteWebhook(self, params):  # noqa: N802
        return True

    def _api_setWebhook(self, params):  # noqa: N802
        return True

    def _api_setMyCommands(self, params):  # noqa: N802
        return True

    def _api_getChat(self, params):  # noqa: N802
        chat_id = params.get("chat_id")
        chat = self.staff_chat() if chat_id == self.staff_chat_id else self.private_chat(int(chat_id))
        # getChat answers with a ChatFullInfo, which has a few required fields more.
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                        "premium_subscription": False, "gifts_from_channels": False}}

    def _api_leaveChat(self, params):  # noqa: N802
        return True

    def _api_answerCallbackQuery(self, params):  # noqa: N802
        return True

    def _api_createForumTopic(self, params):  # noqa: N802
        return {"message_thread_id": next(self._topic_ids), "name": params.get("name"), "icon_color": 7322096}

    def _store(self, params: dict, **content) -> dict:
        chat_id = params["chat_id"]
        chat = self.staff_chat() if chat_id == self.staff_chat_id else self.private_chat(int(chat_id))
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": self._bot_user(), **content}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        with self._lock:
            self.messages[(chat_id, message["message_id"])] = message
        return message

    def _api_sendMessage(self, params):  # noqa: N802
        if not params.get("text"):
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(params["text"]) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        return self._store(params, text=params["text"])

    def _api_editMessageText(self, params):  # noqa: N802
        key = (params["chat_id"], params["message_id"])
        with self._lock:
            if key not in self.messages:
                raise _ApiError(400, "Bad Request: message to edit not found")
            self.messages[key] = {**self.messages[key], "text": params["text"],
                                  "reply_markup": params.get("reply_markup")}
            return self.messages[key]

    def _api_copyMessage(self, params):  # noqa: N802
        stored = self._store(params, text=params.get("caption") or "[copy]")
        return {"message_id": stored["message_id"]}

    def _api_sendDocument(self, params):  # noqa: N802
        document = params.get("document")
        stored = self._store(params, caption=params.get("caption", ""),
                             document={"file_id": "doc", "file_unique_id": "doc",
                                       "file_name": document["filename"] if isinstance(document, dict) else "file"})
        return stored

    def _api_unknown(self, params):
        raise _ApiError(404, "Not Found: method not found")


_SENDING = {"sendMessage", "copyMessage", "sendDocument", "sendPhoto", "forwardMessage"}


class _ApiError(Exception):
    def __init__(self, code: int, description: str):
        self.code, self.description = code, description
