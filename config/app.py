"""The application: settings + hall files -> one Litestar app serving every hall.

``create_app()`` is also the factory uvicorn imports in each worker process
(``hall serve --workers 2``); every worker reads the same settings and database.
"""

from __future__ import annotations

import asyncio
import gc
import logging

import msgspec
from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from config.auth import AccountBook, Authenticator, login, provide_actor, provide_principal
from config.crypto import TokenSigner
from config.database import connect_engine
from config.halls import HallDefinition, load_halls
from config.logging import configure_logging
from config.migrations import upgrade
from config.settings import PROJECT_ROOT, Settings, load_settings
from counters.api import router as counters_api
from counters.pages import router as counters_pages
from queueing.api import router as queueing_api
from queueing.errors import Refusal
from queueing.pages import router as queueing_pages
from queueing.service import Clock, HallRegistry, HallRuntime, utc_now

__all__ = ["create_app"]

log = logging.getLogger("hall.app")
VERSION = "0.1.0"
_PACKAGES = ("config", "queueing", "counters")


class ErrorBody(msgspec.Struct, frozen=True):
    status_code: int
    error: str
    detail: str  # English, for integrators and logs
    detail_zh: str  # Chinese, for the person at the kiosk or the counter


def _refusal_response(_: Request, refusal: Refusal) -> Response[ErrorBody]:
    body = ErrorBody(refusal.status_code, refusal.code, refusal.message, refusal.message_zh)
    return Response(body, status_code=refusal.status_code)


def create_app(
    settings: Settings | None = None,
    *,
    halls: list[HallDefinition] | None = None,
    clock: Clock = utc_now,
    configure_logs: bool = True,
) -> Litestar:
    settings = settings or load_settings()
    if configure_logs:
        configure_logging(settings.log_level, settings.log_format)
    halls = halls or load_halls(settings.halls)
    engine = connect_engine(settings.database, sqlite_synchronous=settings.sqlite_synchronous)
    registry = HallRegistry(
        [HallRuntime(hall, engine, clock=clock, snapshot_every=settings.snapshot_every) for hall in halls]
    )
    auth = Authenticator(AccountBook(halls), TokenSigner(settings.secret()), settings.token_hours, clock)

    async def start(_: Litestar) -> None:
        await asyncio.to_thread(upgrade, engine)
        await registry.start()
        # Everything loaded so far lives as long as the process: keep it out of the
        # collector's full passes, which would otherwise pause every request for ~50 ms.
        gc.collect()
        gc.freeze()
        log.info("serving", extra={"halls": [h.id for h in halls], "database": engine.dialect.name})

    async def stop(_: Litestar) -> None:
        await registry.close()
        engine.dispose()
        gc.unfreeze()

    return Litestar(
        route_handlers=[
            login,
            queueing_api,
            counters_api,
            queueing_pages,
            counters_pages,
            create_static_files_router(
                path="/static",
                directories=[PROJECT_ROOT / p / "static" for p in _PACKAGES if (PROJECT_ROOT / p / "static").is_dir()],
            ),
        ],
        dependencies={
            "registry": Provide(lambda: registry, sync_to_thread=False, use_cache=True),
            "principal": Provide(provide_principal),
            "actor": Provide(provide_actor),
        },
        exception_handlers={Refusal: _refusal_response},
        state=State({"auth": auth, "registry": registry, "settings": settings, "engine": engine}),
        template_config=TemplateConfig(
            directory=[PROJECT_ROOT / p / "templates" for p in _PACKAGES if (PROJECT_ROOT / p / "templates").is_dir()],
            engine=JinjaTemplateEngine,
        ),
        openapi_config=OpenAPIConfig(
            title="Hall queue",
            version=VERSION,
            description="Tickets, counters and calling for government service halls (政务服务中心排队叫号).",
            path="/api/docs",
            render_plugins=[ScalarRenderPlugin()],
        ),
        on_startup=[start],
        on_shutdown=[stop],
        logging_config=None,
    )
