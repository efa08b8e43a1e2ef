"""Connecting to Temporal the one way every process does it, and checking the server is ready."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from nurture import search_attributes
from nurture.settings import Settings


async def connect(settings: Settings) -> Client:
    """A client with the pydantic converter, the only converter nurture uses."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


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
