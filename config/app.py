"""The application: settings + hall files -> one Litestar app serving every hall.

``create_app()`` is also the factory uvicorn imports in each worker process
(``hall serve --workers 2``); every worker reads the same settings and database.
"""

from __future__ import annotations

import asyncio
import gc
import html
import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.template.config import TemplateConfig
from litestar.types import Empty

from appointments.api import router as appointments_api
from appointments.notify import build_notifier
from appointments.pages import router as appointments_pages
from appointments.service import AppointmentService
from config.accounts import AccountBook, AccountStates, DatabaseFailures
from config.accounts_api import router as accounts_api
from config.audit.api import router as audit_api
from config.audit.middleware import AuditMiddleware
from config.audit.store import AuditStore
from config.auth import (
    ROLE_GUARDS,
    Authenticator,
    PrincipalMiddleware,
    admin_guard,
    change_password,
    issuer_guard,
    login,
    logout,
    manager_guard,
    provide_principal,
    read_only_guard,
    reader_guard,
    staff_guard,
)
from config.crypto import RatingKeys, TokenSigner, return_scrypt_memory
from config.database import UNREACHABLE, bound_calls, connect_engine
from config.halls import HallDefinition, load_halls
from config.headers import photo_origins, security_headers
from config.limits import limit_middleware, limit_stores
from config.logging import configure_logging
from config.migrations import upgrade
from config.settings import PROJECT_ROOT, Settings, check_deployment, load_settings
from counters.api import router as counters_api
from counters.evaluation import EvaluationService
from counters.evaluation_api import router as evaluation_api
from counters.manage.api import router as manage_api
from counters.manage.feed import LiveFeed
from counters.manage.pages import router as manage_pages
from counters.manage.planning_api import router as planning_api
from counters.manage.remedy import Remedies
from counters.manage.worker import ReportWorker
from counters.pages import router as counters_pages
from counters.posts import PostService
from counters.posts_api import router as posts_api
from displays.api import router as displays_api
from displays.hub import DisplayHub
from displays.pages import router as displays_pages
from displays.service import DisplayService
from displays.voice import Synthesizer
from printers.api import router as printers_api
from printers.renderer import SlipRenderer
from printers.service import PrintBell, PrintService
from queueing.api import router as queueing_api
from queueing.bounds import BODY_BYTES
from queueing.errors import NotFound, Refusal
from queueing.pages import router as queueing_pages
from queueing.service import Clock, HallRegistry, HallRuntime, HallWorkers, utc_now

__all__ = ["create_app"]

_GC_DEFAULTS = gc.get_threshold()
log = logging.getLogger("hall.app")
VERSION = "0.1.0"
GIL_SWITCH_SECONDS = 0.0005  # how long a thread may keep the GIL while another waits (see create_app)
_IO_THREADS = 48  # at least the database pool's connections (10) times a few
_PACKAGES = ("config", "queueing", "counters", "displays", "appointments")


class ErrorBody(msgspec.Struct, frozen=True, omit_defaults=True):
    """Every error the API answers: what went wrong, for integrators and for people."""

    status_code: int
    error: str
    detail: str  # English, for integrators and logs
    detail_zh: str  # Chinese, for the person at the kiosk or the counter
    extra: list | dict | None = None  # which fields of a request were wrong


_ERRORS = {
    400: ("bad_request", "请求内容有误，请检查后重试"),
    401: ("not_signed_in", "请先登录，或检查本机的设备令牌"),
    403: ("forbidden", "无权进行此操作"),
    404: ("not_found", "没有找到"),
    405: ("method_not_allowed", "不支持该操作"),
    413: ("too_large", "请求内容过大"),
    429: ("too_many_requests", "尝试过于频繁，请稍后再试"),
}


# What a person meeting an error in a browser reads: a title, and what to do next.
_PAGE_TITLES = {  # status: (title, title in English, what to do, what to do in English)
    404: ("没有找到", "Not found",
          "请检查地址，或扫描凭条上的二维码重新打开。", "Check the address, or scan the slip's QR code again."),
    409: ("暂时无法办理", "Not possible now",
          "请按提示操作，或咨询服务台。", "Follow the message above, or ask at the service desk."),
    410: ("已过期", "No longer valid", "请重新取号或咨询服务台。", "Take a new ticket, or ask at the service desk."),
    500: ("系统出错", "Something went wrong",
          "请稍后再试，或咨询服务台。", "Try again in a moment, or ask at the service desk."),
}  # fmt: skip
_PAGE_DEFAULT = (
    "无法打开此页面", "This page cannot be shown",
    "请返回首页，或咨询服务台。", "Go back to the start page, or ask at the service desk.",
)  # fmt: skip


def _wants_page(request: Request) -> bool:
    """A person's browser asking for a page (not the API, a device's socket or a script)."""
    path = request.url.path
    if path.startswith(("/api/", "/ws/", "/static/")) or path.endswith((".svg", ".wav", ".pdf")):
        return False
    return request.accept.best_match(["application/json", "text/html"]) == "text/html"


def _error(request: Request, body: ErrorBody, headers: dict[str, str] | None = None) -> Response:
    """The error as JSON for programs, as a page for a person's browser (in Chinese and English)."""
    # The app's headers (config/headers.py) are not layered onto an exception handler's answer.
    headers = {**{h.name: h.value for h in request.app.response_headers if h.value}, **(headers or {})}
    if not _wants_page(request):
        return Response(body, status_code=body.status_code, headers=headers)
    title_zh, title_en, next_zh, next_en = _PAGE_TITLES.get(body.status_code, _PAGE_DEFAULT)
    hall = request.scope.get("path_params", {}).get("hall")
    if body.detail.startswith("no hall "):  # an unknown hall: nothing of it to link to
        hall = None
    context = {
        "status": body.status_code, "title_zh": title_zh, "title_en": title_en, "next_zh": next_zh,
        "next_en": next_en, "message_zh": body.detail_zh, "message_en": body.detail,
        "hall_id": hall if isinstance(hall, str) and hall.isidentifier() else None, "hall_name": None,
    }  # fmt: skip
    try:  # rendered here, so that a page that cannot be made falls back to the JSON answer
        engine = request.app.template_engine
        assert engine is not None
        page = engine.get_template("error.html").render(**context, request=request)
    except Exception:
        log.exception("the error page could not be made; answering with JSON")
        return Response(body, status_code=body.status_code, headers=headers)
    return Response(page, status_code=body.status_code, headers=headers, media_type="text/html")


def _refusal_response(request: Request, refusal: Refusal) -> Response:
    body = ErrorBody(refusal.status_code, refusal.code, refusal.message, refusal.message_zh)
    unavailable = refusal.status_code == 503  # nothing done: when to try again
    if unavailable and getattr(refusal, "logged", True):  # an outage is one line a request, not a traceback
        log.warning("unavailable (answered 503): %s %s: %s", request.method, request.url.path, refusal.message)
    return _error(request, body, {"Retry-After": str(RETRY_AFTER_SECONDS)} if unavailable else None)


def _http_error_response(request: Request, exc: HTTPException) -> Response:
    """Litestar's own refusals (validation, guards, unknown paths) in the same shape as ours."""
    code, zh = _ERRORS.get(exc.status_code, ("error", "请求失败"))
    extra = exc.extra
    if isinstance(extra, dict) and "detail_zh" in extra:  # a Chinese message given where it was raised
        extra = dict(extra)
        zh = extra.pop("detail_zh")
    body = ErrorBody(exc.status_code, code, exc.detail, zh, extra or None)
    return _error(request, body, exc.headers)


def _out_of_range_response(request: Request, exc: OverflowError) -> Response:
    """A date or a number past what a calendar or a database column holds (9999-12-31 and a
    week on, an integer past 64 bits): the request's fault, said so, not an internal error."""
    # Logged with its place: an overflow that is the code's own fault must still be found.
    log.warning("a value out of range (answered 400): %s %s", request.method, request.url.path, exc_info=exc)
    body = ErrorBody(
        400, "out_of_range", "a date or number in the request is out of range", "请求中的日期或数字超出范围"
    )
    return _error(request, body)


def _too_deep_response(request: Request, exc: RecursionError) -> Response:
    """A body nested hundreds deep (no request of ours nests more than three): refused, said so."""
    log.warning("a request nested too deeply (answered 400): %s %s", request.method, request.url.path)
    body = ErrorBody(400, "too_deep", "the request's body is nested too deeply", "请求内容嵌套过深")
    return _error(request, body)


def _database_down_response(request: Request, exc: Exception) -> Response:
    """The database cannot be reached (down, restarting, refusing connections, the pool
    exhausted): nothing was recorded; say so and when to try again, in one log line."""
    log.warning("database unavailable (answered 503): %s %s: %s", request.method, request.url.path, type(exc).__name__)
    body = ErrorBody(
        503, "unavailable", "the database is not reachable just now; nothing was recorded: try again shortly",
        "系统暂时无法连接数据库，本次操作未生效，请稍后再试",
    )  # fmt: skip
    return _error(request, body, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _internal_error_response(request: Request, exc: Exception) -> Response:
    log.error("internal error", exc_info=exc)
    body = ErrorBody(500, "internal", "internal server error", "系统内部错误，请稍后重试或联系工作人员")
    return _error(request, body)


# The API docs' renderer, served by this server (halls run on closed networks): Swagger UI,
# unpacked at set-up from the npm registry, pinned by version and checksum (the Makefile).
SWAGGER_UI = "/static/vendor/swagger-ui"
_TOKENS = {
    manager_guard: "Needs a manager's token (sign in at POST /api/auth/login) · 需要管理人员令牌",
    reader_guard: "Needs a manager's, an administrator's or an inspector's token · 需要管理人员或巡查人员令牌",
    admin_guard: "Needs an administrator's token · 需要系统管理员令牌",
    staff_guard: "Needs a staff token (sign in at POST /api/auth/login) · 需要工作人员令牌",
    issuer_guard: "Needs a ticket machine's device token or a staff token · 需要取号机设备令牌或工作人员令牌",
}


class _SwaggerPage(SwaggerRenderPlugin):
    """Swagger UI's page, saying its language (English, as the OpenAPI document) for screen readers.

    Litestar's page starts Swagger UI with an inline script, which the Content-Security-Policy
    refuses; here the document comes as data (a JSON block, not run) and a file starts it
    (config/static/swagger-init.js), with Litestar's options."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        # "<" only ever stands inside a JSON string, where \u003c means the same: no "</script>" ends the block.
        spec = self.render_json(request, _finished(request.app, openapi_schema)).replace(b"<", b"\\u003c")
        title = html.escape(str(openapi_schema["info"]["title"]))
        head = f"""<head>
    <title>{title}</title>
    {self.favicon}
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <link href="{self.css_url}" rel="stylesheet">
    <script src="{self.js_url}"></script>
    <script src="{self.standalone_preset_js_url}"></script>
    {self.style}
  </head>"""
        body = b"".join(
            [
                b"""<body>
    <div id="swagger-container"></div>
    <script type="application/json" id="openapi">""",
                spec,
                b"""</script>
    <script src="/static/swagger-init.js"></script>
  </body>""",
            ]
        )
        return b"".join([b'<!DOCTYPE html>\n<html lang="en">\n  ', head.encode(), b"\n  ", body, b"\n</html>\n"])


class _JsonDocument(JsonRenderPlugin):
    """The OpenAPI document (``openapi.json``), finished (``_finished``)."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, _finished(request.app, openapi_schema))


_HTTP_DATE = {
    "schema": {"type": "string"},
    "description": "When the file was made, as an HTTP date (RFC 9110): Sun, 06 Nov 1994 08:49:37 GMT",
}


def _finished(app: Litestar, document: dict[str, Any]) -> dict[str, Any]:
    """What Litestar's document says wrongly, or cannot say from a handler's signature, put
    right (in place; again each time, as it costs little and the document is made once):
    a file's Last-Modified is an HTTP date, not an ISO date-time; an answer in several
    formats (``opt={"media_types": [...]}``, as CSV or XLSX) lists each."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            media = handler.opt.get("media_types") if isinstance(handler, HTTPRouteHandler) else None
            for method in handler.http_methods if media and handler.include_in_schema else ():
                answer = document["paths"][route.path_format][method.lower()]
                answer["responses"][str(handler.status_code)]["content"] = {
                    kind: {"schema": {"type": "string", "contentMediaType": kind}} for kind in media
                }
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for answer in operation.get("responses", {}).values() if isinstance(operation, dict) else ():
                if "last-modified" in answer.get("headers", {}):
                    answer["headers"]["last-modified"] = _HTTP_DATE
    return document


def _document_tokens(app: Litestar) -> None:
    """The OpenAPI document says, per operation, whether it takes a bearer token and whose,
    and every operation has a description (its docstring, else its summary)."""
    for route in app.routes:
        kwargs_models = {id(h): model for h, model in getattr(route, "route_handler_map", {}).values()}
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
                continue
            query = {p.field_alias for p in kwargs_models[id(handler)].expected_query_params}
            needs = next((text for guard, text in _TOKENS.items() if guard in handler.resolve_guards()), None)
            optional = "principal" in handler.parsed_fn_signature.parameters and needs is None
            if needs or optional:
                handler.security = [{"bearer": []}] if needs else [{"bearer": []}, {}]
                handler._resolved_security = Empty  # read again when the document is made
            doc = handler.description or (handler.fn.__doc__ or "").strip() or handler.summary or ""
            if optional:
                needs = "Takes a device or staff token if there is one; works without · 可不带令牌"
            handler.description = "\n\n".join(part for part in (doc, needs) if part) or None
            errors = _errors_of(handler, needs is not None, query)
            for status, spec in (handler.responses or {}).items():
                # a refusal the handler names itself (its own words): with the one error body
                errors[status] = ResponseSpec(ErrorBody, description=spec.description) if status >= 400 else spec
            handler.responses = errors


def _errors_of(handler: HTTPRouteHandler, token: bool, query: set[str]) -> dict[int, ResponseSpec]:
    """The refusals an operation can answer with, each with the one error body (``ErrorBody``);
    ``query``: the names of its query parameters."""
    path = next(iter(handler.paths), "")
    statuses = [400]  # a malformed request, a value out of range
    if token or path.endswith("/auth/login"):
        statuses += [401, 403]
    if "{" in path or query & {"hall", "halls"}:  # a hall, counter, ticket … named and not there
        statuses.append(404)
    changes = bool(handler.http_methods & {"POST", "PUT", "PATCH", "DELETE"})
    if changes:
        statuses += [409, 413]
    if changes or query or "{" in path:  # a value the hall does not have (a day, an item, a chart)
        statuses.append(422)
    if path.endswith(("/auth/login", "/auth/password")) or "limit" in handler.opt:
        statuses.append(429)
    statuses.append(503)  # the database out of reach or stalling: nothing done, Retry-After
    return {status: ResponseSpec(ErrorBody, description=_ERROR_WORDS[status]) for status in statuses}


_ERROR_WORDS = {
    400: "The request is malformed or a value is out of range (`extra` names the fields) · 请求内容有误",
    401: "No token, or a token that is not valid (any more) · 请先登录",
    403: "This token may not do this · 无权进行此操作",
    404: "No such hall, counter, ticket or booking · 没有找到",
    409: "Not possible in the present state (`detail` says why) · 暂时无法办理",
    413: "The body is larger than this request needs (16 KB; a scenario or a roster 256 KB) · 请求内容过大",
    422: "A reference or value the hall does not have (`detail` names it) · 内容不符",
    429: "Too many attempts, or too many requests from this address; try again later · 尝试过于频繁",
    503: "The database is out of reach or too slow just now; nothing was done: try again after Retry-After · 系统繁忙",
}


def _one_guard_each(app: Litestar) -> None:
    """A route with a role guard is not given the app's ``read_only_guard`` too: the role guard
    refuses a read-only role first, with the same answer. And the guards are handed the route
    handler itself: Litestar hands each guard a ``copy.copy`` of it (~70 attributes, ~25 us)
    lest a guard change it, and ours (config/auth.py) only read its ``opt``."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            guards = handler.resolve_guards()
            if read_only_guard in guards and ROLE_GUARDS.intersection(guards):
                guards = handler._resolved_guards = [guard for guard in guards if guard is not read_only_guard]
            if guards and hasattr(handler, "__dict__"):  # an OPTIONS handler has slots only: left as it is
                handler.authorize_connection = _authorize(handler, tuple(guards))


def _authorize(handler: HTTPRouteHandler, guards: tuple[Any, ...]) -> Callable[..., Any]:
    async def authorize_connection(connection: Any) -> None:
        for guard in guards:
            await guard(connection, handler)

    return authorize_connection


def _dependencies_in_turn(app: Litestar) -> None:
    """Litestar resolves a handler's dependencies that do not depend on each other concurrently,
    each in a task of an anyio task group (~15 us a task: four for a ticket's issue). Ours are
    plain calls in the event loop (``sync_to_thread=False``), which a task runs no sooner:
    called one after the other, in the same order, they cost only their call. A batch with
    anything else in it (an async or generator provider) is left to Litestar."""
    for route in app.routes:
        for _handler, model in getattr(route, "route_handler_map", {}).values():
            batches: list[set] = []
            for batch in model.dependency_batches:
                if all(d.provide.has_sync_callable and not d.provide.has_sync_generator_dependency for d in batch):
                    batches.extend({dependency} for dependency in batch)
                else:
                    batches.append(batch)
            model.dependency_batches = batches


def _constant(value: object) -> Provide:
    return Provide(lambda: value, sync_to_thread=False, use_cache=True)


def _by_hall(find: Callable[[str], Any]) -> Provide:
    """A dependency resolved from the ``{hall}`` of the path (an unknown hall: 404)."""

    def provide(hall: FromPath[str]) -> Any:
        return find(hall)

    return Provide(provide, sync_to_thread=False)


def _lookup(parts: dict[str, Any]) -> Callable[[str], Any]:
    def find(hall: str) -> Any:
        if hall not in parts:
            raise NotFound(f"no hall {hall!r}; halls here: {', '.join(sorted(parts))}", f"没有大厅 {hall}")
        return parts[hall]

    return find


RETRY_AFTER_SECONDS = 5  # a database outage: when a client should try again


def create_app(
    settings: Settings | None = None,
    *,
    halls: list[HallDefinition] | None = None,
    clock: Clock = utc_now,
    configure_logs: bool = True,
) -> Litestar:
    settings = settings or load_settings()
    # The halls' worker thread and the event loop share the GIL: each time one of them waits on
    # the system (a log line written, a statement, a commit, random bytes), the other may keep the
    # GIL for up to the switch interval before it is handed back: 5 ms by default, paid several
    # times by an answer. 100 halls at 5 ops/s, SQLite: p99 242 -> 72 ms, CPU per op unchanged.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    if configure_logs:
        configure_logging(settings.log_level, settings.log_format)
    halls = halls or load_halls(settings.halls)
    check_deployment(settings, halls)
    if not (PROJECT_ROOT / "config" / "static" / "vendor" / "swagger-ui" / "swagger-ui-bundle.js").is_file():
        log.warning("the API docs' renderer is not installed (run `make vendor`): /api/docs will be blank; "
                    "the OpenAPI document is at /api/docs/openapi.json")  # fmt: skip
    engine = connect_engine(
        settings.database, sqlite_synchronous=settings.sqlite_synchronous, wait_seconds=settings.database_wait_seconds
    )
    # Each package is given its own part of every hall file, and nothing else of it.
    displays = DisplayService(
        [h.display_part() for h in halls],
        DisplayHub(settings.redis_url, settings.device_heartbeat_seconds),
        Synthesizer(Path(settings.data_dir) / "voice"),
        settings.device_heartbeat_seconds,
    )
    hub, synthesizer = displays.hub, displays.synthesizer
    # The halls of this process share their worker thread(s): what they have waiting is
    # committed in one transaction (group commit across halls).
    workers = HallWorkers(settings.hall_threads)
    registry = HallRegistry(
        [
            HallRuntime(
                hall.queue_part(),
                engine,
                clock=clock,
                snapshot_every=settings.snapshot_every,
                observer=displays.publisher(hall.id),
                wait_seconds=settings.database_wait_seconds,
                worker=workers.for_hall(hall.id),
            )
            for hall in halls
        ]
    )
    # 评价码: made for the slips, checked where a ticket's page rates; old secrets still check
    rating_keys = RatingKeys(settings.secret(), settings.old_secrets())
    printing = PrintService(
        engine,
        [h.printing_part() for h in halls],
        clock,
        settings.public_base,
        rating_keys,
        PrintBell(settings.redis_url),
        data_dir=settings.data_dir,
    )
    appointments = AppointmentService(
        engine,
        registry,
        [h.appointment_part() for h in halls],
        clock,
        settings.secret(),
        build_notifier(settings.notify),
        settings.public_base,
        settings.old_secrets(),
    )
    counter_parts = [h.counter_part() for h in halls]
    evaluation = EvaluationService(engine, counter_parts, clock, settings.secret(), settings.old_secrets())
    posts = PostService(engine, registry, counter_parts, clock, settings.post_watch_seconds)
    audit = AuditStore(engine)
    auth = Authenticator(
        AccountBook(halls),
        AccountStates(engine, clock),
        # Staff tokens under the new key only: an old key (often rotated because it leaked) mints
        # none; after a rotation everyone signs in once more.
        TokenSigner(settings.secret()),
        settings.token_hours,
        clock,
        DatabaseFailures(engine, clock),  # the sign-in throttle: one count for every process
    )
    feed = LiveFeed(
        registry,
        counter_parts,
        hub,
        printing,
        evaluation,
        appointments,
        clock,
        heartbeat=settings.device_heartbeat_seconds,
    )
    # Reports fold months of the record: in a process of their own, where they cannot slow a hall.
    reports = ReportWorker(settings.database, [h.path for h in halls], settings.stats_workers)
    # PDF tickets likewise: drawn in a process of their own, a bounded queue (printers/renderer.py).
    pdf_slips = SlipRenderer(settings.pdf)
    feed.remedies = Remedies(registry, reports, counter_parts, clock)  # an alert's simulated remedy

    async def start(_: Litestar) -> None:
        # Database calls run in threads: Python's default of cpu + 4 lets a few calls held by a
        # stalling database starve every other one; with more, the others wait only as long as
        # their own deadline (database_wait_seconds) and are answered.
        io_threads = ThreadPoolExecutor(max_workers=_IO_THREADS, thread_name_prefix="hall-io")
        asyncio.get_running_loop().set_default_executor(io_threads)
        bound_calls(io_threads, settings.database_wait_seconds)
        return_scrypt_memory()  # sign-ins in many threads would each keep 16 MB (config/crypto.py)
        await asyncio.to_thread(upgrade, engine)
        await auth.start()
        await hub.start()
        await printing.bell.start()
        await registry.start()
        await appointments.start()
        await evaluation.start()
        await posts.start()
        # Everything loaded so far lives as long as the process: keep it out of the
        # collector's full passes, which would otherwise pause every request for ~50 ms.
        gc.collect()
        gc.freeze()
        # A fan-out to thousands of devices allocates many short-lived objects; with the
        # default thresholds the oldest generation is swept every few calls (measured at
        # 5,000 devices: server CPU per send 197 -> 109 us, call-next p99 818 -> 76 ms).
        gc.set_threshold(700, 10, 1000)
        log.info("serving", extra={"halls": [h.id for h in halls], "database": engine.dialect.name})

    async def stop(_: Litestar) -> None:
        await feed.close()
        reports.close()
        pdf_slips.close()
        await posts.stop()
        await evaluation.stop()
        await appointments.stop()
        await printing.close()
        await registry.close()
        await printing.bell.stop()
        await hub.stop()
        await auth.stop()
        synthesizer.close()
        engine.dispose()
        gc.unfreeze()
        gc.set_threshold(*_GC_DEFAULTS)

    app = Litestar(
        route_handlers=[
            login,
            logout,
            change_password,
            accounts_api,
            queueing_api,
            counters_api,
            queueing_pages,
            counters_pages,
            displays_api,
            displays_pages,
            printers_api,
            appointments_api,
            evaluation_api,
            posts_api,
            manage_api,
            planning_api,
            manage_pages,
            appointments_pages,
            audit_api,
            create_static_files_router(
                path="/static",
                directories=[PROJECT_ROOT / p / "static" for p in _PACKAGES if (PROJECT_ROOT / p / "static").is_dir()],
            ),
        ],
        # What handlers receive by name (``NamedDependency``): the services, the settings, the
        # caller, and the ``{hall}`` of the path resolved to that hall's runtime or part.
        dependencies={
            "settings": _constant(settings),
            "auth": _constant(auth),
            "audit": _constant(audit),
            "registry": _constant(registry),
            "displays": _constant(displays),
            "printing": _constant(printing),
            "slips": _constant(printing),  # the queue's SlipPrinter
            "appointments": _constant(appointments),
            "evaluation": _constant(evaluation),
            "ratings": _constant(evaluation),  # the queue's RatingOffer
            "rating_keys": _constant(rating_keys),
            "posts": _constant(posts),
            "reports": _constant(reports),
            "pdf_slips": _constant(pdf_slips),
            "feed": _constant(feed),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "runtime": _by_hall(registry.get),
            "counter_hall": _by_hall(_lookup({p.id: p for p in counter_parts})),
        },
        # Who is calling, the audit trail's record of each change (it reads the caller), and the
        # bounds on calls without a token (config/limits.py).
        middleware=[
            DefineMiddleware(PrincipalMiddleware, auth=auth),
            DefineMiddleware(AuditMiddleware, store=audit, clock=clock),
            *limit_middleware(settings.limits),
        ],
        stores=limit_stores(settings.redis_url),
        guards=[read_only_guard],  # an inspector changes nothing, by any route (config/auth.py)
        # The same services for whoever holds the app (tests, tools); handlers get them injected.
        state=State(
            {
                "auth": auth,
                "registry": registry,
                "settings": settings,
                "engine": engine,
                "displays": displays,
                "hub": hub,
                "printing": printing,
                "appointments": appointments,
                "evaluation": evaluation,
                "posts": posts,
                "reports": reports,
                "pdf_slips": pdf_slips,
                "feed": feed,
            }
        ),
        response_headers=security_headers(photo_origins(s.photo for h in halls for s in h.staff)),
        request_max_body_size=BODY_BYTES,  # the routes of larger bodies say so
        exception_handlers={
            Refusal: _refusal_response,
            HTTPException: _http_error_response,
            OverflowError: _out_of_range_response,
            RecursionError: _too_deep_response,
            **dict.fromkeys(UNREACHABLE, _database_down_response),
            HTTP_500_INTERNAL_SERVER_ERROR: _internal_error_response,
        },
        template_config=TemplateConfig(
            directory=[PROJECT_ROOT / p / "templates" for p in _PACKAGES if (PROJECT_ROOT / p / "templates").is_dir()],
            engine=JinjaTemplateEngine,
        ),
        openapi_config=OpenAPIConfig(
            title="Hall queue",
            version=VERSION,
            description="Tickets, counters and calling for government service halls (政务服务中心排队叫号).",
            path="/api/docs",
            render_plugins=[
                _SwaggerPage(
                    js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
                    css_url=f"{SWAGGER_UI}/swagger-ui.css",
                    standalone_preset_js_url=f"{SWAGGER_UI}/swagger-ui-standalone-preset.js",
                    favicon="<link rel='icon' href='data:,'>",
                ),
                _JsonDocument(),
            ],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="A staff token from POST /api/auth/login, or a device's token from the hall file",
                    )
                }
            ),
        ),
        on_startup=[start],
        on_shutdown=[stop],
        logging_config=None,
    )
    _document_tokens(app)
    _one_guard_each(app)
    _dependencies_in_turn(app)
    return app
