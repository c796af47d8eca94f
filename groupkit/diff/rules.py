"""The catalogue of `groupkit diff` rules: each id with its level and direction.

Ids and levels are oasdiff's (its `checker/rules.go`), so a team's oasdiff ignore list names the same changes
here; the few rules oasdiff lacks are marked `groupkit` and named in its style.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import Level


@dataclass(frozen=True)
class Rule:
    """One kind of change: its id, default level, the direction it concerns (request, response or none)
    and where the id comes from (oasdiff, or groupkit for the gaps it fills)."""

    id: str
    level: Level
    direction: str
    origin: str = "oasdiff"


# id, level, direction: copied from oasdiff's catalogue for every rule this diff implements.
OASDIFF = """
api-path-removed-without-deprecation ERR none
api-path-removed-with-deprecation INFO none
api-removed-without-deprecation ERR none
api-removed-with-deprecation INFO none
endpoint-added INFO none
endpoint-deprecated INFO none
endpoint-reactivated INFO none
api-operation-id-removed INFO none
api-operation-id-added INFO none
api-tag-removed INFO none
api-tag-added INFO none
api-global-security-added INFO none
api-global-security-removed INFO none
api-global-security-scope-added INFO none
api-global-security-scope-removed INFO none
api-security-added INFO none
api-security-removed INFO none
api-security-scope-added INFO none
api-security-scope-removed INFO none
api-security-component-added INFO none
api-security-component-removed INFO none
api-security-component-type-changed INFO none
new-required-request-parameter ERR request
new-optional-request-parameter INFO request
new-request-path-parameter ERR request
request-parameter-removed WARN request
request-parameter-became-required ERR request
request-parameter-became-optional INFO request
request-parameter-type-changed ERR request
request-parameter-type-generalized INFO request
request-parameter-became-enum ERR request
request-parameter-enum-value-added INFO request
request-parameter-enum-value-removed ERR request
request-parameter-pattern-added ERR request
request-parameter-pattern-removed INFO request
request-parameter-pattern-changed WARN request
request-parameter-became-nullable INFO request
request-parameter-became-not-nullable ERR request
request-parameter-default-value-added ERR request
request-parameter-default-value-removed ERR request
request-parameter-default-value-changed ERR request
request-parameter-min-increased ERR request
request-parameter-min-decreased INFO request
request-parameter-min-set WARN request
request-parameter-max-decreased ERR request
request-parameter-max-increased INFO request
request-parameter-max-set WARN request
request-parameter-min-length-increased ERR request
request-parameter-min-length-decreased INFO request
request-parameter-max-length-decreased ERR request
request-parameter-max-length-increased INFO request
request-parameter-max-length-set WARN request
request-parameter-min-items-increased ERR request
request-parameter-min-items-decreased INFO request
request-parameter-min-items-set WARN request
request-parameter-max-items-decreased ERR request
request-parameter-max-items-increased INFO request
request-body-added-required ERR request
request-body-added-optional INFO request
request-body-removed ERR request
request-body-became-required ERR request
request-body-became-optional INFO request
request-body-media-type-added INFO request
request-body-media-type-removed ERR request
request-body-media-type-schema-added ERR request
request-body-media-type-schema-removed INFO request
request-body-type-changed ERR request
request-body-type-generalized INFO request
request-body-became-enum ERR request
request-body-enum-value-removed ERR request
request-body-became-nullable INFO request
request-body-became-not-nullable ERR request
request-body-default-value-added INFO request
request-body-default-value-removed INFO request
request-body-default-value-changed INFO request
request-body-min-increased ERR request
request-body-min-decreased INFO request
request-body-min-set WARN request
request-body-max-decreased ERR request
request-body-max-increased INFO request
request-body-max-set WARN request
request-body-min-length-increased ERR request
request-body-min-length-decreased INFO request
request-body-max-length-decreased ERR request
request-body-max-length-increased INFO request
request-body-max-length-set WARN request
request-body-min-items-increased ERR request
request-body-min-items-set WARN request
request-body-one-of-added INFO request
request-body-one-of-removed ERR request
request-body-any-of-added INFO request
request-body-any-of-removed ERR request
new-required-request-property ERR request
new-required-request-property-with-default ERR request
new-optional-request-property INFO request
request-property-removed WARN request
request-property-became-required ERR request
request-property-became-required-with-default ERR request
request-property-became-optional INFO request
request-property-type-changed ERR request
request-property-type-generalized INFO request
request-property-became-enum ERR request
request-property-enum-value-added INFO request
request-property-enum-value-removed ERR request
request-property-pattern-added ERR request
request-property-pattern-removed INFO request
request-property-pattern-changed WARN request
request-property-became-nullable INFO request
request-property-became-not-nullable ERR request
request-property-default-value-added INFO request
request-property-default-value-removed INFO request
request-property-default-value-changed INFO request
request-property-min-increased ERR request
request-property-min-decreased INFO request
request-property-min-set WARN request
request-property-max-decreased ERR request
request-property-max-increased INFO request
request-property-max-set WARN request
request-property-min-length-increased ERR request
request-property-min-length-decreased INFO request
request-property-max-length-decreased ERR request
request-property-max-length-increased INFO request
request-property-max-length-set WARN request
request-property-min-items-increased ERR request
request-property-min-items-set WARN request
request-property-one-of-added INFO request
request-property-one-of-removed ERR request
request-property-any-of-added INFO request
request-property-any-of-removed ERR request
response-success-status-removed ERR response
response-success-status-added INFO response
response-non-success-status-removed INFO response
response-non-success-status-added INFO response
response-media-type-removed ERR response
response-media-type-added INFO response
response-body-media-type-schema-added INFO response
response-body-media-type-schema-removed WARN response
response-required-property-removed ERR response
response-optional-property-removed WARN response
response-required-property-added INFO response
response-optional-property-added INFO response
response-property-became-optional ERR response
response-property-became-required INFO response
response-body-became-nullable ERR response
response-body-became-not-nullable INFO response
response-property-became-nullable ERR response
response-property-became-not-nullable INFO response
response-body-type-changed ERR response
response-body-type-generalized ERR response
response-body-type-specialized INFO response
response-property-type-changed ERR response
response-property-type-generalized ERR response
response-property-type-specialized INFO response
response-property-enum-value-added WARN response
response-property-enum-value-removed INFO response
response-property-pattern-added INFO response
response-property-pattern-removed INFO response
response-property-pattern-changed INFO response
response-body-default-value-added INFO response
response-body-default-value-removed INFO response
response-body-default-value-changed INFO response
response-property-default-value-added INFO response
response-property-default-value-removed INFO response
response-property-default-value-changed INFO response
response-body-max-increased ERR response
response-property-max-increased ERR response
response-body-min-decreased ERR response
response-property-min-decreased ERR response
response-body-max-length-increased ERR response
response-property-max-length-increased ERR response
response-body-max-length-unset ERR response
response-property-max-length-unset ERR response
response-body-min-length-decreased ERR response
response-property-min-length-decreased ERR response
response-body-min-items-decreased ERR response
response-property-min-items-decreased ERR response
response-body-min-items-unset ERR response
response-property-min-items-unset ERR response
response-body-one-of-added ERR response
response-body-one-of-removed INFO response
response-property-one-of-added ERR response
response-property-one-of-removed INFO response
response-body-any-of-added INFO response
response-body-any-of-removed INFO response
response-property-any-of-added INFO response
response-property-any-of-removed INFO response
"""

# Narrowings oasdiff has no id for; named in its style so an ignore list reads the same.
GROUPKIT = """
request-property-max-items-decreased ERR request
request-body-max-items-decreased ERR request
response-property-max-items-increased ERR response
response-body-max-items-increased ERR response
api-security-narrowed ERR request
"""


def _table(text: str, origin: str) -> dict[str, Rule]:
    rules = {}
    for line in text.strip().splitlines():
        rule_id, level, direction = line.split()
        rules[rule_id] = Rule(rule_id, Level[level], direction, origin)
    return rules


RULES: dict[str, Rule] = _table(OASDIFF, "oasdiff") | _table(GROUPKIT, "groupkit")
