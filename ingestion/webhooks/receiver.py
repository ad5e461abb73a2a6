"""The webhook receiver: ``POST /webhooks/<source>``, signature checked over the raw body, the delivery landed
durably, then answered ``202``.

Rejections: an unknown source 404, a body over ``MAX_BODY_BYTES`` 413 (read no further), a missing or wrong
signature 401, a body that is not JSON 415 (content type) or 400 (malformed, or a GitHub delivery without its
event header), a delivery that could not be stored or checked 503 (the sender retries). Each is logged with the source,
the sender's delivery id and the reason, never the body.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ingestion.webhooks.journal import RECEIVED_AT, SEGMENT_SECONDS, Journal
from ingestion.webhooks.signatures import ActiveSecrets, signed
from ingestion.webhooks.sources import SOURCES, Source
from opslake.settings import Settings

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps its payloads at 25 MB; PagerDuty's and Jira's are far smaller
log = logging.getLogger("opslake.webhooks")


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def create_app(settings: Settings, segment_seconds: float = SEGMENT_SECONDS) -> Starlette:
    """The receiver for ``settings``' home; secrets are read (and created) at start-up."""
    keys = {name: ActiveSecrets(settings, source) for name, source in SOURCES.items()}
    journals = {name: Journal(settings.landing_dir(name), segment_seconds) for name in SOURCES}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        for journal in journals.values():
            journal.start()
        loop = (
            asyncio.get_running_loop()
        )  # SIGHUP: close the open segments (an erasure waits to rewrite them)
        loop.add_signal_handler(signal.SIGHUP, lambda: [j.close_segment() for j in journals.values()])
        yield
        for journal in journals.values():
            await journal.stop()

    async def receive(request: Request) -> JSONResponse:
        name = request.path_params["source"]
        source = SOURCES.get(name)
        delivery = (
            request.headers.get(source.delivery_header, "") if source and source.delivery_header else ""
        )
        try:
            if source is None:
                raise Rejected(404, f"unknown source; expected one of {', '.join(SOURCES)}")
            body = await _body(request)
            try:
                active = keys[name]()
            except (
                OSError
            ) as unreadable:  # removed or opened to others since start-up: refuse, the sender retries
                raise Rejected(503, f"the secrets file cannot be used: {unreadable}") from None
            if not signed(source, request.headers.get(source.signature_header), body, active):
                raise Rejected(401, f"missing or invalid {source.signature_header} signature")
            line = _landed_line(source, request, body, delivery)
            try:
                await journals[name].append(line)
            except OSError as failed:
                raise Rejected(
                    503, f"the delivery could not be stored ({failed.strerror}); retry later"
                ) from None
        except Rejected as no:
            client = request.client.host if request.client else "?"
            log.warning(
                "rejected %s delivery %s from %s: %s %s", name, delivery or "-", client, no.status, no.reason
            )
            return JSONResponse({"error": no.reason}, status_code=no.status)
        return JSONResponse({"accepted": delivery or None}, status_code=202)

    return Starlette(routes=[Route("/webhooks/{source}", receive, methods=["POST"])], lifespan=lifespan)


async def _body(request: Request) -> bytes:
    """The raw body, refused as soon as it is known to exceed the cap (by its length header or while read)."""
    length = request.headers.get("content-length", "0")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise Rejected(413, f"body over {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Rejected(413, f"body over {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _landed_line(source: Source, request: Request, body: bytes, delivery: str) -> bytes:
    """The delivery as landing keeps it: ``{"event", "delivery", "received_at", "payload"}``, one JSON line."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise Rejected(415, f"content type {media or 'none'}; send application/json")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Rejected(400, "the body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise Rejected(400, "the body is not a JSON object")
    event = request.headers.get(source.event_header, "") if source.event_header else ""
    if source.event_required and not event:
        raise Rejected(400, f"no {source.event_header} header")
    record = {
        "event": event or None,
        "delivery": delivery or None,
        RECEIVED_AT: dt.datetime.now(dt.UTC).isoformat(),
        "payload": payload,
    }
    return orjson.dumps(record) + b"\n"
