"""The defects groupkit's own checks report: one small `Failure` class per defect, named after it.

Each failure carries `detail` (what was expected and what was seen) and `steps`: the curl commands of the
follow-up requests the check made, because those, not the generated request that triggered the check,
are what reproduces it. schemathesis shows `message` (detail + steps); the kit's report shows them apart.

    GroupkitFailure
     ├── pagination_is_complete     PageOverLimit, DuplicateItem, MissingItem, TokenOnLastPage,
     │                              EndlessPagination, ForeignTokenAccepted, BrokenWalk
     ├── read-after-write checks    CreatedGroupNotReadable, WriteNotPersisted, CreatedKeyNotStored,
     │                              DeletedKeyStillPresent, InviteeNotListed, RoleChangeNotListed,
     │                              RemovedMemberStillListed
     ├── auth_is_enforced           AuthNotEnforced
     ├── isolation_between_users    CrossTenantAccess
     └── error_body_conforms        UndocumentedErrorStatus, MalformedErrorBody, ErrorCodeMismatch
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from schemathesis.core.failures import Failure, Severity


class GroupkitFailure(Failure):
    """Base of the kit's failures; `code` is stable, `kind_title` the default title."""

    code = "GK900"
    kind_title = "groupkit check failed"
    default_severity: ClassVar[Severity] = Severity.MEDIUM
    __slots__ = ("detail", "steps", "from_probe")

    def __init__(
        self,
        *,
        operation: str,
        detail: str,
        steps: Sequence[str] = (),
        title: str | None = None,
    ) -> None:
        message = detail
        if steps:
            message += "\n\nRequests that show it:\n" + "\n".join(f"    {step}" for step in steps)
        super().__init__(operation=operation, title=title, message=message, severity=self.default_severity)
        self.detail = detail
        self.steps = tuple(steps)
        # Set when the check's own probe found it: its steps then reproduce it alone; otherwise they follow
        # the generated request that triggered the check.
        self.from_probe = False


# pagination_is_complete


class PageOverLimit(GroupkitFailure):
    """A page holds more items than the `limit` asked for."""

    code = "GK101"
    kind_title = "Page holds more items than the limit"


class DuplicateItem(GroupkitFailure):
    """The same item comes back twice in one walk of a list."""

    code = "GK102"
    kind_title = "An item appears twice while walking the pages"


class MissingItem(GroupkitFailure):
    """Walking a list with a small page size does not return the items a large page size returns."""

    code = "GK103"
    kind_title = "Walking the pages skips items"


class TokenOnLastPage(GroupkitFailure):
    """A page carries a `nextToken` although nothing follows it."""

    code = "GK104"
    kind_title = "The last page carries a nextToken"


class EndlessPagination(GroupkitFailure):
    """Following `nextToken` does not end within the bound the list's size allows."""

    code = "GK105"
    kind_title = "Walking the pages does not end"
    default_severity = Severity.HIGH


class ForeignTokenAccepted(GroupkitFailure):
    """A `nextToken` the server never issued is accepted instead of rejected with 400."""

    code = "GK106"
    kind_title = "A nextToken the server never issued is accepted"


class BrokenWalk(GroupkitFailure):
    """A page reached by following the server's own `nextToken` does not answer 200."""

    code = "GK107"
    kind_title = "Following a server-issued nextToken fails"


# read-after-write


class CreatedGroupNotReadable(GroupkitFailure):
    """A group POST /group created is missing, or differs, in GET /group or GET /user/groups."""

    code = "GK201"
    kind_title = "Created group is not readable as written"


class WriteNotPersisted(GroupkitFailure):
    """An update answered 200 but a later read shows the old values."""

    code = "GK202"
    kind_title = "Update is not persisted"


class CreatedKeyNotStored(GroupkitFailure):
    """An API key POST /group/apiKey created cannot be addressed, or holds other values."""

    code = "GK203"
    kind_title = "Created API key is not stored as written"


class DeletedKeyStillPresent(GroupkitFailure):
    """An API key DELETE /group/apiKey removed can still be updated or deleted, or cannot be re-created."""

    code = "GK204"
    kind_title = "Deleted API key is still present"


class InviteeNotListed(GroupkitFailure):
    """An invited user is missing from GET /group/users, or listed with another role."""

    code = "GK205"
    kind_title = "Invited member is not listed"


class RoleChangeNotListed(GroupkitFailure):
    """PUT /group/user answered 200 but GET /group/users shows the old role."""

    code = "GK206"
    kind_title = "Changed role is not listed"


class RemovedMemberStillListed(GroupkitFailure):
    """DELETE /group/user answered 200 but the user is still in GET /group/users."""

    code = "GK207"
    kind_title = "Removed member is still listed"


# access


class AuthNotEnforced(GroupkitFailure):
    """An operation answers something other than 401 to a missing or invalid token."""

    code = "GK401"
    kind_title = "Missing or invalid token is not rejected with 401"
    default_severity = Severity.CRITICAL


class CrossTenantAccess(GroupkitFailure):
    """A user reads, lists or changes a group they are not a member of."""

    code = "GK402"
    kind_title = "A user reaches a group they are not a member of"
    default_severity = Severity.CRITICAL


# error bodies


class UndocumentedErrorStatus(GroupkitFailure):
    """An error status the operation does not document."""

    code = "GK501"
    kind_title = "Error status is not documented for this operation"


class MalformedErrorBody(GroupkitFailure):
    """An error response whose body is not JSON or does not match the contract's Error schema."""

    code = "GK502"
    kind_title = "Error body does not match the Error schema"


class ErrorCodeMismatch(GroupkitFailure):
    """An error body whose `code` names another kind of error than its HTTP status."""

    code = "GK503"
    kind_title = "Error code does not match the status"
