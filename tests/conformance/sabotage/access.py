"""Sabotage variants that let the wrong caller in: no authentication, and no membership check."""

from __future__ import annotations

from dataclasses import replace

import httpx

from groupkit.app import MockApp
from groupkit.errors import NotFound
from groupkit.model import Device, GroupView
from groupkit.pagination import Page
from groupkit.roles import VIEWER
from groupkit.store import Store
from tests.conformance.sabotage.seams import (
    ACME,
    EVA,
    Headers,
    expect,
    header,
    mock,
    rewriting,
    variant,
    with_header,
)


def anyone_is_the_first_user() -> MockApp:  # a development fallback, left on
    def first_user_unless_known(headers: Headers) -> Headers:
        store = app.store
        value = (header(headers, b"authorization") or "").strip()
        scheme, _, rest = value.partition(" ")
        token = rest.strip() if scheme.lower() == "bearer" else value
        if store.user_for_token(token) is not None:
            return headers
        first = store.demo_users()[0].token or ""
        return with_header(headers, b"authorization", first)

    app = mock(middleware=[rewriting(lambda method, path: True, request_headers=first_user_unless_known)])
    return app


@variant(
    "ignored-auth",
    "a missing or unknown token is served as Alice (the first demo user) instead of 401",
    build=anyone_is_the_first_user,
    include=("GET /group/roles", "PUT /group"),
    checks=("ignored_auth", "auth_is_enforced"),
)
def ignored_auth(http: httpx.Client) -> bool:
    nobody: tuple[dict[str, str], ...] = ({}, {"Authorization": ""}, {"Authorization": "demo-token-mallory"})
    answers = [expect(http.get("/user/groups", headers=headers), 200, 401) for headers in nobody]
    return all(a.status_code == 200 and ACME in {g["id"] for g in a.json()["items"]} for a in answers)


class NoMembershipCheck(Store):  # reads a group through any demo user who has a role there
    def insider(self, group_id: str) -> str | None:
        return next((u.id for u in self.demo_users() if self.effective_role(u.id, group_id)), None)

    def get_group(self, user_id: str, group_id: str) -> GroupView:
        try:
            return super().get_group(user_id, group_id)
        except NotFound:
            insider = self.insider(group_id)
            if insider is None:
                raise
            return replace(super().get_group(insider, group_id), viewer_id=user_id, role=VIEWER)

    def list_group_devices(self, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Device]:
        try:
            return super().list_group_devices(user_id, group_id, limit, token)
        except NotFound:
            insider = self.insider(group_id)
            if insider is None:
                raise
            return super().list_group_devices(insider, group_id, limit, token)


@variant(
    "cross-group-leak",
    "GET /group and GET /group/devices skip the membership check: Eva reads ACME",
    build=lambda: mock(store_class=NoMembershipCheck),
    include=("GET /group", "GET /group/devices"),
    checks="isolation_between_users",
)
def cross_group_leak(http: httpx.Client) -> bool:
    as_eva = {"Authorization": EVA}
    group = expect(http.get("/group", params={"groupId": ACME}, headers=as_eva), 200, 404)
    devices = expect(http.get("/group/devices", params={"groupId": ACME}, headers=as_eva), 200, 404)
    return group.status_code == 200 and devices.status_code == 200 and bool(devices.json()["items"])


VARIANTS = (ignored_auth, cross_group_leak)
