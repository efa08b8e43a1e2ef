"""Connecting to Temporal the one way every process does it, and checking the server is ready."""

from __future__ import annotations

from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from nurture import search_attributes
from nurture.settings import Settings


async def connect(settings: Settings) -> Client:
    """A client with the pydantic converter, the only converter nurture uses, and the TLS and
    credentials the settings name (none on the dev server)."""
    key = settings.temporal_api_key
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=tls_of(settings),
        api_key=key.get_secret_value() if key is not None else None,
    )


def tls_of(settings: Settings) -> bool | TLSConfig:
    """TLS for the connection: off unless asked for; on with an API key (Temporal Cloud takes
    keys over TLS only); with a client certificate (mTLS) and a private CA when their files
    are named. Files are read here, so a wrong path fails at start, naming it."""
    files = (
        settings.temporal_tls_cert_file,
        settings.temporal_tls_key_file,
        settings.temporal_tls_ca_file,
    )
    if not any(files):
        return settings.temporal_tls or settings.temporal_api_key is not None
    cert, key, ca = (Path(f).read_bytes() if f else None for f in files)
    return TLSConfig(server_root_ca_cert=ca, client_cert=cert, client_private_key=key)


def _wanted() -> dict[str, IndexedValueType.ValueType]:
    return {
        key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
        for key in search_attributes.ALL
    }


async def missing_search_attributes(client: Client) -> list[str]:
    """Custom search attributes nurture upserts that this namespace does not define."""
    resp = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    return sorted(name for name in _wanted() if name not in resp.custom_attributes)


async def register_search_attributes(client: Client) -> None:
    """Define nurture's search attributes (servers without a List call, e.g. the test server)."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace=client.namespace, search_attributes=_wanted())
    )
