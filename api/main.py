"""The FastAPI application: clients made once in the lifespan, routes, one error handler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api import docs_pages, error_handlers, openapi_docs
from api.database import Database
from api.deps import AppState
from api.responses import APP_WIDE
from api.routes import (
    accounts,
    attribution,
    campaigns,
    dashboard,
    dev_site,
    events,
    handoffs,
    health,
    kpi,
    leads,
    rep_links,
    sales_workspace,
    tracking,
)
from api.segment import endpoint as segment
from api.segment import sdk_endpoint as segment_sdks
from nurture.db import create_schema, make_engine
from nurture.settings import Settings, get_settings
from nurture.temporal import connect

log = logging.getLogger("nurture.api")


def create_app(settings: Settings | None = None, client: Client | None = None) -> FastAPI:
    """The app; tests pass their own settings and a client bound to their test server."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        conf = settings or get_settings()
        migrator = make_engine(conf.database_url)  # patient: the worker may be migrating too
        create_schema(migrator)
        migrator.dispose()
        # Requests wait briefly for the database, then answer 503 (api.server_errors).
        engine = make_engine(
            conf.database_url,
            busy_timeout_seconds=conf.database_busy_timeout_seconds,
            statement_timeout_seconds=conf.database_statement_timeout_seconds,
        )
        temporal = client or await connect(conf)
        app.state.nurture = AppState(settings=conf, db=Database(engine), client=temporal)
        log.info("API ready (Temporal %s, namespace %s)", conf.temporal_address, temporal.namespace)
        yield
        engine.dispose()

    app = FastAPI(
        title="nurture",
        version="0.1.0",
        summary="Lead nurture orchestrator: intake, behaviour webhooks, lead state.",
        lifespan=lifespan,
        responses=APP_WIDE,
        docs_url=None,  # served from local files by docs_pages, not from a CDN
        redoc_url=None,
    )
    error_handlers.install(app)
    openapi_docs.install(app)
    docs_pages.install(app)
    app.include_router(leads.router)
    app.include_router(accounts.router)
    app.include_router(events.router)
    app.include_router(segment.router)
    app.include_router(segment_sdks.router)
    app.include_router(handoffs.router)
    app.include_router(health.router)
    app.include_router(tracking.router)
    app.include_router(campaigns.router)
    app.include_router(attribution.router)  # before the dashboard's /v1/kpi/{name}.csv
    app.include_router(dashboard.router)
    app.include_router(rep_links.router)
    app.include_router(sales_workspace.router)
    app.include_router(kpi.router)
    app.include_router(dev_site.router)
    return app
