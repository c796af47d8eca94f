"""Domain errors raised by the store; `groupkit.problems` is the one place that turns them into HTTP.
(`SharedStoreUnavailable` is not a domain error: the shared store failing to answer, a 503.)

GroupkitError
 ├── BadRequest          input the schema allows but the domain cannot read (a foreign nextToken)
 ├── NotFound            an id that names nothing the caller can see
 ├── Forbidden           the caller's role lacks a permission, or a platform rule forbids the change
 └── Conflict            valid input that clashes with the current state
"""

from __future__ import annotations


class GroupkitError(Exception):
    """Base of every domain error; `code` is the contract's `Error.code`."""

    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(GroupkitError):
    """Raised for input that passes the schema but cannot be used, such as a malformed `nextToken`."""

    def __init__(self, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.code = code


class NotFound(GroupkitError):
    """Raised for an unknown group, or one the caller has no membership in (never told apart), an unknown
    role, a user who is not a direct member, or a missing API key."""

    code = "NOT_FOUND"


class Forbidden(GroupkitError):
    """Raised when the caller's effective role in the group lacks the permission, or the change would
    break a platform rule (the Subscriber cannot be removed or re-roled, nobody grants above their rank)."""

    code = "FORBIDDEN"


class Conflict(GroupkitError):
    """Raised when valid input clashes with the state: a duplicate key type, an existing member, the loss
    of a group's last administrator, or a group moved under itself."""

    code = "CONFLICT"


class SharedStoreUnavailable(Exception):
    """Raised when the shared store cannot answer (Redis unreachable, or a write overtaken by a reset of its
    world); answered 503 with the reason and `Retry-After` (`groupkit.problems`, `groupkit.replica`)."""
