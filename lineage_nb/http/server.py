"""`lineage-nb serve`: an OpenLineage HTTP endpoint and a read API over one store (Starlette + uvicorn).

Writes: `POST /api/v1/lineage` (one event) and `POST /api/v1/lineage/batch` (a JSON list), served
as plain ASGI in front of Starlette because they are the hot path. A request is answered 2xx
only after its events are committed. Requests arriving together are committed together (group
commit on one writer thread), so many small requests cost few transactions. Reads: `GET /api/v1/<method>` answers the `QueryService` method of that name.

The routes, their parameters and the token rule are in core/protocol.py. A bearer token
(`LINEAGE_NB_TOKEN`, as the OpenLineage client's `api_key` sends it) is required on every route
when set, and must be set to bind anything but loopback. Reads go through `QueryService`; the
ingest routes write to the store itself, because this endpoint is the store's network door.
"""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import queue
import threading
import zlib
from concurrent.futures import Future
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lineage_nb.core.protocol import API, INGEST_BATCH_PATH, INGEST_PATH, READ_ROUTES, ProtocolError, bearer, is_loopback
from lineage_nb.core.settings import settings
from lineage_nb.query.local import LocalQueryService
from lineage_nb.query.service import NotFound, ServiceError
from lineage_nb.store import IngestReport, Store, StoreError, open_store
from lineage_nb.store.batch import PreparedBatch
from lineage_nb.store.derive import InvalidEvent
from lineage_nb.store.encoding import parse

MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_BATCH_EVENTS = 10_000
GROUP_MAX_EVENTS = 5_000
WRITE_QUEUE_REQUESTS = 20_000
SHOWN_ERRORS = 20
UNAUTHORISED = "missing or wrong bearer token"


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class GroupWriter:
    """One thread that commits the events of every waiting request in one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.Queue[tuple[PreparedBatch, Future[None]] | None] = queue.Queue(WRITE_QUEUE_REQUESTS)
        self._thread = threading.Thread(target=self._run, name="lineage-nb-ingest", daemon=True)
        self._thread.start()

    def submit(self, batch: PreparedBatch) -> Future[None]:
        done: Future[None] = Future()
        try:
            self._queue.put_nowait((batch, done))
        except queue.Full:
            raise BadRequest("the store is busy; retry shortly", status=503) from None
        return done

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(30)

    def _run(self) -> None:
        while (first := self._queue.get()) is not None:
            group = [first]
            size = len(first[0])
            stop = False
            while size < GROUP_MAX_EVENTS:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
                size += len(item[0])
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[tuple[PreparedBatch, Future[None]]]) -> None:
        combined = group[0][0]
        for batch, _ in group[1:]:
            combined.absorb(batch)
        try:
            with self.store.write() as conn:
                self.store.write_prepared(conn, combined, IngestReport())
        except Exception as exc:  # noqa: BLE001 - every waiting request learns of the failure
            for _, done in group:
                done.set_exception(exc)
            return
        for _, done in group:
            done.set_result(None)


async def _body(headers: dict[bytes, bytes], receive: Any) -> bytes:
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BadRequest(f"request body is {declared.decode()} bytes; the limit is {MAX_BODY_BYTES}", status=413)
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("the client went away before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadRequest(f"request body is over the {MAX_BODY_BYTES}-byte limit", status=413)
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    if headers.get(b"content-encoding", b"").lower() == b"gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(body, MAX_BODY_BYTES + 1)
        except zlib.error:
            raise BadRequest("Content-Encoding is gzip but the body is not valid gzip") from None
        if len(body) > MAX_BODY_BYTES or inflater.unconsumed_tail:
            raise BadRequest(f"the decompressed body is over the {MAX_BODY_BYTES}-byte limit", status=413)
    return body


def _parse(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest("empty body: send an OpenLineage event as JSON")
    try:
        return parse(body)
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadRequest("JSON nested too deeply") from None


def _prepare(events: list[Any]) -> PreparedBatch:
    batch, problems = PreparedBatch(), []
    for index, event in enumerate(events):
        try:
            batch.add(event)
        except InvalidEvent as exc:
            problems.append(f"event {index}: {exc}" if len(events) > 1 else str(exc))
    if problems:
        more = f" (and {len(problems) - SHOWN_ERRORS} more)" if len(problems) > SHOWN_ERRORS else ""
        raise BadRequest("invalid OpenLineage event: " + "; ".join(problems[:SHOWN_ERRORS]) + more)
    return batch


class IngestRoutes:
    """`POST /api/v1/lineage` and `/lineage/batch` as plain ASGI in front of the Starlette read app.

    They are the hot path: Starlette's routing, request object and exception middleware cost
    as much per single-event request as validating the event, so these two skip them.
    """

    def __init__(self, reads: Starlette, writer: GroupWriter, expected_authorization: bytes | None) -> None:
        self.reads = reads
        self.writer = writer
        self.expected_authorization = expected_authorization
        self.paths = {INGEST_PATH: False, INGEST_BATCH_PATH: True}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        batch = self.paths.get(scope.get("path", "")) if scope["type"] == "http" else None
        if batch is None:
            await self.reads(scope, receive, send)
        elif scope["method"] != "POST":
            await _send_json(send, 405, {"error": "use POST"}, [(b"allow", b"POST")])
        else:
            status, answer, extra = await self.ingest(dict(scope["headers"]), receive, batch)
            await _send_json(send, status, answer, extra)

    async def ingest(self, headers: dict[bytes, bytes], receive: Any, batch: bool) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
        if not _authorised(self.expected_authorization, headers.get(b"authorization", b"")):
            return 401, {"error": UNAUTHORISED}, [(b"www-authenticate", b"Bearer")]
        try:
            parsed = _parse(await _body(headers, receive))
            if batch and not isinstance(parsed, list):
                raise BadRequest("the batch endpoint takes a JSON list of events")
            events = parsed if batch else [parsed]
            if len(events) > MAX_BATCH_EVENTS:
                raise BadRequest(f"{len(events)} events in one batch; the limit is {MAX_BATCH_EVENTS}", status=413)
            prepared = _prepare(events)
            if events:
                await asyncio.wrap_future(self.writer.submit(prepared))
        except BadRequest as exc:
            return exc.status, {"error": str(exc)}, []
        except Exception as exc:  # noqa: BLE001 - the store failed; the client should retry
            return 503, {"error": f"the store could not write the events: {_one_line(exc)}"}, []
        return (200 if batch else 201), {"received": len(events)}, []


def _authorised(expected_authorization: bytes | None, authorization: bytes) -> bool:
    return expected_authorization is None or hmac.compare_digest(authorization, expected_authorization)


async def _send_json(send: Any, status: int, answer: dict[str, Any], extra_headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(answer).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra_headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(store: Store, token: str | None = None) -> IngestRoutes:
    """The ASGI app over an open store. `token`, when given, is required as `Authorization: Bearer`."""
    writer = GroupWriter(store)
    service = LocalQueryService(store)
    expected = bearer(token)

    async def read(request: Request) -> JSONResponse:
        if not _authorised(expected, request.headers.get("authorization", "").encode()):
            return _error(UNAUTHORISED, 401, {"WWW-Authenticate": "Bearer"})
        route = READ_ROUTES.get(request.path_params["method"])
        if route is None:
            return _error(f"no read route {request.path_params['method']!r}; one of {', '.join(READ_ROUTES)}", 404)
        try:
            arguments = route.decode(list(request.query_params.multi_items()))
            answer = await run_in_threadpool(getattr(service, route.name), **arguments)
        except NotFound as exc:
            return JSONResponse({"error": str(exc), "what": exc.what, "looked_up": exc.looked_up, "matches": exc.matches}, status_code=404)
        except (ProtocolError, TypeError, ValueError) as exc:
            return _error(_one_line(exc), 400)
        except ServiceError as exc:
            return _error(str(exc), 503)
        return JSONResponse(answer)

    reads = Starlette(routes=[Route(API + "/{method:str}", read, methods=["GET"])], lifespan=_closing(writer))
    return IngestRoutes(reads, writer, expected)


def _closing(writer: GroupWriter) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(writer.close)

    return lifespan


def _one_line(exc: BaseException) -> str:
    from lineage_nb.core.naming import redact_text

    return redact_text(str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def serve(target: str | None = None, host: str = "127.0.0.1", port: int = 5000, token: str | None = None) -> None:
    """Run the endpoint over the store at `target` until interrupted. Refuses a non-loopback address without a token."""
    import uvicorn

    token = token or settings().token
    if not token and not is_loopback(host):
        raise StoreError(f"refusing to listen on {host} without a token: set LINEAGE_NB_TOKEN (clients send it as their api_key)")
    store = open_store(target, create=True)
    try:
        config = uvicorn.Config(create_app(store, token), host=host, port=port, log_level="warning", access_log=False, timeout_keep_alive=30)
        uvicorn.Server(config).run()
    finally:
        store.close()
