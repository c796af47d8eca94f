"""Tests of the frame comparison (`frames.changes`): what a write did not target must read back the same; the
target itself, and what appeared with it, may change. That the check catches collateral damage on a served
mock is the sabotage suite's job (tests/conformance/sabotage/collateral.py); the check is `neighbours.py`."""

from __future__ import annotations

from groupkit.conformance.frames import Frame, Target, changes


def frame(**overrides: object) -> Frame:
    base = Frame(
        "g1",
        groups={
            "g1": {"id": "g1", "name": "target", "description": "a"},
            "g2": {"id": "g2", "name": "sibling", "description": "b", "numberOfDevices": 3},
        },
        members={"u1": "administrator", "u2": "viewer", "u3": "viewer"},
        keys={"SIGFOX": (200, "s", "t1"), "LORA": (200, "l", "t2"), "GONE": (404, None, None)},
    )
    for name, value in overrides.items():
        setattr(base, name, value)
    return base


def test_an_unchanged_frame_has_no_changes() -> None:
    assert changes(frame(), frame(), Target("g1", member="u2", key="SIGFOX")) == []
    assert changes(frame(), frame(), None) == []


def test_the_target_may_change() -> None:
    before = frame()
    after = frame(
        groups={**before.groups, "g1": {"id": "g1", "name": "renamed"}},
        members={"u1": "administrator", "u3": "viewer"},
        keys={**before.keys, "sigfox": (404, None, None)},
    )
    after.keys.pop("SIGFOX")
    assert changes(before, after, Target("g1", member="u2", key="sigfox")) == []


def test_a_sibling_group_field_or_count_that_changes_is_reported() -> None:
    before = frame()
    after = frame(groups={**before.groups, "g2": {**before.groups["g2"], "numberOfDevices": 2}})
    assert changes(before, after, Target("g1")) == ["group g2 ('sibling'): numberOfDevices was 3, now 2"]


def test_a_group_no_longer_listed_is_reported() -> None:
    before = frame()
    after = frame(groups={"g1": before.groups["g1"]})
    assert changes(before, after, Target("g1")) == [
        "group g2 ('sibling') is no longer listed in GET /user/groups"
    ]


def test_another_member_removed_or_re_roled_is_reported() -> None:
    before = frame()
    after = frame(members={"u1": "installer", "u3": "viewer"})
    found = changes(before, after, Target("g1", member="u2"))
    assert found == ["member u1 of group g1: role was 'administrator', now 'installer'"]
    found = changes(before, frame(members={"u1": "administrator"}), Target("g1", member="u2"))
    assert found == ["member u3 (role 'viewer') of group g1 is no longer listed"]


def test_a_sibling_key_gone_or_changed_is_reported() -> None:
    before = frame()
    after = frame(keys={"SIGFOX": (404, None, None), "LORA": (200, "other", "t2"), "GONE": (404, None, None)})
    found = changes(before, after, Target("g1", key="sigfox"))
    assert found == ["API key (g1, LORA) changed: name 'l' -> 'other'"]
    found = changes(before, after, Target("g1", key="LORA"))
    assert found == ["API key (g1, SIGFOX) answered 200 before, now 404"]


def test_without_a_target_anything_new_is_a_change() -> None:
    before = frame()
    after = frame(
        members={**(before.members or {}), "u9": "viewer"},
        keys={**before.keys, "GONE": (200, "new", "t")},
        groups={**before.groups, "g3": {"id": "g3"}},
    )
    assert changes(before, after, None) == [
        "group g3 appeared",
        "member u9 of group g1 appeared",
        "API key (g1, GONE) answered 404 before, now 200",
    ]


def test_a_members_list_that_could_not_be_read_is_not_compared() -> None:
    assert changes(frame(), frame(members=None), Target("g1")) == []


def test_the_callers_own_role_change_leaves_groups_alone() -> None:
    before = frame()
    after = frame(groups={**before.groups, "g2": {**before.groups["g2"], "role": "viewer"}})
    assert changes(before, after, Target("g1", member="u1", groups_too=False)) == []
