"""The web application (Starlette) and its server (uvicorn), for `python -m bot web` and `python -m bot run`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.config import PROJECT_ROOT
from bot.web import api, desk, pages
from bot.web.openapi import openapi
from bot.web.security import SecurityHeaders
from bot.web.services import WebServices

log = logging.getLogger(__name__)
STATIC = PROJECT_ROOT / "bot" / "web" / "static"


async def openapi_json(_request) -> JSONResponse:
    return JSONResponse(openapi())


async def no_icon(_request) -> Response:
    return Response(status_code=204)


def create_app(web: WebServices) -> Starlette:
    """Every route, in one place: pages, the citizens' API, the desk's API, static files."""
    routes = [
        Route("/", pages.chat), Route("/en", pages.chat),
        Route("/desk", pages.desk), Route("/desk/en", pages.desk),
        Route("/api/v1/openapi.json", openapi_json), Route("/favicon.ico", no_icon),
        Route("/api/v1/services", api.endpoint(api.catalogue, body=False)),
        *[Route(path, api.endpoint(handler), methods=["POST"]) for path, handler in api.ROUTES],
        *[Route(path, handler, methods=["POST"]) for path, handler in desk.ROUTES],
        Route("/desk/print/{inquiry_id:int}", desk.print_page),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.web = web
    app.add_middleware(SecurityHeaders)
    return app


class WebStartError(Exception):
    """The web channel cannot start (its port is taken, say); the message says what to do"""


class _Server(uvicorn.Server):
    """uvicorn inside our own event loop: the caller owns the signals (SIGTERM stops the bot and the web)."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


class WebServer:
    """Start in the running event loop; stop() waits for requests in flight."""

    def __init__(self, web: WebServices, host: str, port: int):
        config = uvicorn.Config(create_app(web), host=host, port=port, log_level="warning", lifespan="off",
                                server_header=False, access_log=False)
        self.server = _Server(config)
        self.task: asyncio.Task | None = None
        self.host, self.port = host, port

    async def start(self) -> None:
        try:  # bound here, so that a taken port is one clear line rather than uvicorn's exit
            sock = socket.create_server((self.host, self.port))
        except OSError as exc:
            reason = (exc.strerror or str(exc)).split(" (while")[0]  # asyncio appends the address again
            raise WebStartError(f"The web channel cannot listen on {self.host}:{self.port} ({reason}); "
                                "choose another port with WEB_PORT (or --port).") from None
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self.task.done():
                raise WebStartError(f"The web channel stopped while starting on {self.host}:{self.port}; "
                                    "see the log above.")
            await asyncio.sleep(0.02)
        log.info("Web channel listening on http://%s:%s/ (desk at /desk)", self.host, self.port)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task:
            await self.task


async def serve_web(web: WebServices, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve until `stop` is set."""
    server = WebServer(web, host, port)
    await server.start()
    try:
        await stop.wait()
    finally:
        await server.stop()
