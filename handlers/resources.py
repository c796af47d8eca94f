"""Handlers for what a group holds but this API only reads: its devices, and the platform's roles."""

from __future__ import annotations

from groupkit import wire
from groupkit.pagination import DEFAULT_LIMIT
from groupkit.store import Store
from groupkit.wire import JSON


async def list_group_devices(
    store: Store, user: str, group_id: str, limit: int = DEFAULT_LIMIT, next_token: str | None = None
) -> JSON:
    return wire.page(store.list_group_devices(user, group_id, limit, next_token), wire.device)


async def list_roles(
    store: Store, user: str, limit: int = DEFAULT_LIMIT, next_token: str | None = None
) -> JSON:
    return wire.page(store.list_roles(limit, next_token), wire.role)
