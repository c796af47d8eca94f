"""The external API key verbs: create, change and delete a group's key for a network (one key per type,
types compared case-insensitively). Only members whose role allows `apikey:write` reach a group's keys.
"""

from __future__ import annotations

from dataclasses import replace

from . import access, roles
from .errors import Conflict, NotFound
from .model import ApiKey
from .state import State


def writable(state: State, user_id: str, group_id: str, key_type: str) -> ApiKey:
    """The group's key of this type, if the caller may write the group's keys."""
    group, _ = access.require(state, user_id, group_id, roles.WRITE_KEYS)
    key = state.api_key(group.id, key_type)
    if key is None:
        raise NotFound(f"This group has no API key of type {key_type}")
    return key


def create(
    state: State, user_id: str, group_id: str, key_type: str, name: str, token: str, *, today: str
) -> ApiKey:
    group, _ = access.require(state, user_id, group_id, roles.WRITE_KEYS)
    if state.api_key(group.id, key_type) is not None:
        raise Conflict(f"This group already has an API key of type {key_type}")
    key = ApiKey(group.id, name, key_type, token, user_id, user_id, today, today)
    state.put_api_key(key)
    return key


def update(
    state: State,
    user_id: str,
    group_id: str,
    key_type: str,
    *,
    name: str | None,
    token: str | None,
    today: str,
) -> ApiKey:
    """Change the key's name and/or token (None leaves either as it is)."""
    key = writable(state, user_id, group_id, key_type)
    updated = replace(
        key,
        name=key.name if name is None else name,
        token=key.token if token is None else token,
        updated_by=user_id,
        updated_at=today,
    )
    state.put_api_key(updated)
    return updated


def delete(state: State, user_id: str, group_id: str, key_type: str) -> None:
    key = writable(state, user_id, group_id, key_type)
    state.delete_api_key(key.group_id, key.type)
