"""`kubelab board`: a Starlette app fed by ONE cluster-wide watch of the progress ConfigMaps.

Browsers get the whole board as server-sent events on every change (a few KB even for 100 learners),
so the page needs no JavaScript build chain: it only redraws what it is sent.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

from runner.board.state import LabInfo, board, to_csv
from runner.cluster.client import Kube
from runner.cluster.informer import Informer
from runner.progress_cluster import PROGRESS_LABEL

KEEPALIVE = 15.0   # seconds between comment lines, so proxies keep an idle stream open


class Feed:
    """The informer's changes, handed to every connected browser's queue on the event loop."""

    def __init__(self, kube: Kube, labs: list[LabInfo]) -> None:
        self.labs = labs
        self.informer = Informer(kube, "v1", "ConfigMap", None, f"{PROGRESS_LABEL}=true")
        self.queues: set[asyncio.Queue[None]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.informer.add_listener(self._changed)
        self.informer.start()

    def _changed(self, _objs: list[dict[str, Any]]) -> None:
        if self.loop:
            self.loop.call_soon_threadsafe(self._notify)

    def _notify(self) -> None:
        for q in list(self.queues):
            q.put_nowait(None)

    def model(self) -> dict[str, Any]:
        return board(self.informer.objects(), self.labs, time.time())


def make_app(kube: Kube, labs: list[LabInfo]) -> Starlette:
    feed = Feed(kube, labs)
    page = resources.files("runner.board").joinpath("page.html").read_text(encoding="utf-8")

    async def index(_: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def events(request: Request) -> StreamingResponse:
        q: asyncio.Queue[None] = asyncio.Queue()
        feed.queues.add(q)

        async def stream() -> AsyncIterator[str]:
            try:
                yield f"data: {json.dumps(feed.model())}\n\n"
                while not await request.is_disconnected():
                    try:
                        await asyncio.wait_for(q.get(), KEEPALIVE)
                    except TimeoutError:
                        yield ": keepalive\n\n"
                        continue
                    while not q.empty():   # a burst of changes is one redraw
                        q.get_nowait()
                    yield f"data: {json.dumps(feed.model())}\n\n"
            finally:
                feed.queues.discard(q)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    async def export_json(_: Request) -> JSONResponse:
        return JSONResponse(feed.model(), headers={"Content-Disposition": "attachment; filename=progress.json"})

    async def export_csv(_: Request) -> PlainTextResponse:
        return PlainTextResponse(to_csv(feed.model()), media_type="text/csv",
                                 headers={"Content-Disposition": "attachment; filename=progress.csv"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        feed.start()
        try:
            yield
        finally:
            feed.informer.stop()

    return Starlette(routes=[Route("/", index), Route("/events", events), Route("/export.json", export_json),
                             Route("/export.csv", export_csv)], lifespan=lifespan)
