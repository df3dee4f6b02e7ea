"""What every request passes through: JSON bodies only (content type checked, size limited), rate limits per
session and per address, and security headers on every response (a CSP without inline scripts)."""

from __future__ import annotations

import json
import time

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.answering.messages import message
from bot.web.services import WebServices

# No inline script or style anywhere: the pages load /static files only. frame-ancestors 'self' lets the
# desk show the print preview in a frame and keeps other sites from framing the pages.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'self'; base-uri 'none'; form-action 'self'; object-src 'none'")
CSP_HEADER = (b"content-security-policy", CSP.encode())
# The printable checklist (bot/answering/printable.py) carries its own <style> and no script at all.
PRINTABLE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
           (b"cross-origin-opener-policy", b"same-origin")]


class ApiError(Exception):
    """A request the API refuses: an HTTP status, a code for programs and a sentence for people."""

    def __init__(self, status: int, code: str, text: str, headers: dict[str, str] | None = None):
        super().__init__(text)
        self.status, self.code, self.text, self.headers = status, code, text, headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.code, "message": self.text}, status_code=self.status, headers=self.headers)


def refusal(status: int, code: str, language: str = "zh", **values) -> ApiError:
    """An ApiError worded from messages.yaml (web.error.<code>)."""
    return ApiError(status, code, message(f"web.error.{code}", language, **values))


def rate_limited(language: str) -> ApiError:
    """Too many requests from an address, a session or desk logins: try again in a minute."""
    return ApiError(429, "rate_limited", message("rate_limited", language), {"Retry-After": "60"})


class SecurityHeaders:
    """ASGI middleware: security headers on every response; a response may bring its own CSP."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(event):
            if event["type"] == "http.response.start":
                headers = list(event.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [(n, v) for n, v in HEADERS if n not in names]
                if b"content-security-policy" not in names:
                    extra.append(CSP_HEADER)
                if scope["path"].startswith(("/api/", "/desk/api/")) and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                event = {**event, "headers": headers + extra}
            await send(event)

        await self.app(scope, receive, with_headers)


async def read_json(request: Request, limit: int, language: str = "zh") -> dict:
    """The request's JSON object; refused unless the content type is application/json and it fits the limit."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise refusal(415, "content_type", language)
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise refusal(413, "too_large", language)
    body = bytearray()
    async for chunk in request.stream():  # a chunked body has no length: count as it arrives
        body += chunk
        if len(body) > limit:
            raise refusal(413, "too_large", language)
    try:
        data = json.loads(body)
    except ValueError:
        raise refusal(400, "bad_json", language) from None
    if not isinstance(data, dict):
        raise refusal(400, "bad_json", language)
    return data


def client_address(request: Request) -> str:
    # uvicorn applies X-Forwarded-For only from the proxies it trusts (FORWARDED_ALLOW_IPS).
    return request.client.host if request.client else "unknown"


def check_address(web: WebServices, request: Request) -> None:
    """Every API request counts against its address (in memory only; addresses are never recorded here)."""
    if not web.addresses.allow(client_address(request), time.monotonic()):
        raise rate_limited(request_language(request))


def check_origin(request: Request) -> None:
    """A browser's cross-site request carries an Origin that is not ours: refuse it (CSRF defence in depth)."""
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host", ""):
        raise refusal(403, "origin", request_language(request))


def request_language(request: Request) -> str:
    """The language for refusals before the body is read: the page sends its own in Accept-Language."""
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"
