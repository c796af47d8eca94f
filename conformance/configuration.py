"""What is wrong with a conformance run's options, the operations they select, and the schemathesis
configuration they become.

The configuration is built explicitly (never discovered from a `schemathesis.toml` in the working
directory) with the check policy of docs/conformance.md: every stock check at its defaults, except that
`positive_data_acceptance` also expects 400 on the four lists (a schema-valid `nextToken` the server did
not issue is refused with 400 INVALID_NEXT_TOKEN by contract decision). schemathesis is imported only when
the configuration is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .options import MAX_CONFIRM, PHASES, Options
from .personas import PersonaError, gather

LIST_OPERATIONS = ("GET /user/groups", "GET /group/devices", "GET /group/users", "GET /group/roles")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Realistic names a server may mishandle: an apostrophe in hand-built SQL, text outside Latin-1 in a narrow
# column, markup, bidi controls, long emoji runs. The body fields holding human text (`name`, `description`)
# draw from them now and then, in fuzzing and stateful testing; they are schema-valid strings.
TROUBLEMAKERS = (
    "O'Brien Depot",
    "L'Or\u00e9al Warehouse",
    "C\u00f4te d'Ivoire Hub",
    "Robert'); DROP TABLE groups;--",
    'The "Cold" Room',
    "Back\\Office",
    "ACME \u2744 Cold",
    "\u6771\u4eac\u5009\u5eab",
    "\u0130stanbul \u0141\u00f3d\u017a Depot",
    "\u202eevil\u202c",
    "100% {0} %s",
    "<b>Dock</b> &amp; Yard",
    "  padded  ",
    "Line\nBreak",
    "\U0001f69a\U0001f9ca" * 30,
)
TEXT_FIELDS = ("name", "description")
TROUBLE_PROBABILITY = 0.4


def problems(options: Options) -> list[str]:
    """What is wrong with the options (an empty list: they can run)."""
    found = []
    if not options.base_url or not options.base_url.startswith(("http://", "https://")):
        found.append(f"--base-url must be an http(s) URL, not {options.base_url!r}")
    if not options.token:
        found.append("a token is required: --token TOKEN or the GROUPKIT_TOKEN environment variable")
    if options.other_token is not None and options.other_token == options.token:
        found.append("--other-token must belong to another user than --token")
    if options.max_examples < 1:
        found.append("--max-examples must be at least 1")
    if options.workers < 1 or options.workers > 64:
        found.append("--workers must be between 1 and 64")
    for name in ("rate_limit", "max_time", "request_timeout"):
        value = getattr(options, name)
        if value is not None and not value > 0:
            found.append(f"--{name.replace('_', '-')} must be a positive number of seconds or requests")
    if options.wait_for_server < 0:
        found.append("--wait-for-server must not be negative")
    unknown = [phase for phase in options.phases or () if phase not in PHASES]
    if unknown:
        found.append(f"unknown phase(s) {', '.join(unknown)}; choose among {', '.join(PHASES)}")
    if options.phases is not None and not options.phases:
        found.append("--phases selects nothing")
    if not 0 <= options.confirm <= MAX_CONFIRM:
        found.append(f"--confirm must be between 0 and {MAX_CONFIRM}")
    try:
        gather(options.persona, options.personas)
    except PersonaError as error:
        found.append(str(error))
    if options.baseline is not None and not Path(options.baseline).is_file():
        found.append(f"--baseline {options.baseline}: no such file")
    for spelled, path in (
        ("--report", options.report),
        ("--junit-xml", options.junit_xml),
        ("--write-baseline", options.write_baseline),
    ):  # a missing folder is created when the report is written; a file in the way cannot be
        if path is not None and any(parent.exists() and not parent.is_dir() for parent in Path(path).parents):
            found.append(f"{spelled} {path}: {Path(path).parent} cannot be a folder (a file is in the way)")
    return found


def select(
    operations: dict[str, str], include: list[str], exclude: list[str], read_only: bool
) -> tuple[list[str], list[str]]:
    """(selected labels in contract order, include/exclude names that match no operation).

    `operations` maps "METHOD /path" to operationId; names are either (case-insensitive method)."""

    def matches(name: str, label: str) -> bool:
        method, _, path = name.strip().partition(" ")
        return name.strip() == operations[label] or (method.upper() + " " + path.strip()) == label

    unknown = [name for name in [*include, *exclude] if not any(matches(name, label) for label in operations)]
    selected = [
        label
        for label in operations
        if (not include or any(matches(name, label) for name in include))
        and not any(matches(name, label) for name in exclude)
        and (not read_only or label.split(" ", 1)[0] in SAFE_METHODS)
    ]
    return selected, unknown


def schemathesis_config(options: Options, seed: int | None) -> dict[str, Any]:
    """The run's schemathesis configuration, in the `schemathesis.toml` shape (`Config.from_dict`)."""
    from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
    from schemathesis.config._output import DEFAULT_KEYS_TO_SANITIZE, DEFAULT_SENSITIVE_MARKERS

    enabled = set(options.phases or PHASES)
    config: dict[str, Any] = {
        "base-url": options.base_url.rstrip("/"),
        "headers": {"Authorization": options.token},
        "workers": options.workers,
        "generation": {
            "max-examples": options.max_examples,
            # No example database: the same seed replays the same run, and nothing is written to the cwd.
            "database": "none",
        },
        "cache": {"enabled": False},
        "dictionaries": {"troublemakers": {"values": list(TROUBLEMAKERS)}},
        "parameters": {
            f"body.{field}": {"dictionary": "troublemakers", "probability": TROUBLE_PROBABILITY}
            for field in TEXT_FIELDS
        },
        "phases": {phase: {"enabled": phase in enabled} for phase in PHASES},
        "checks": {},
        "operations": [
            {
                "include-name": label,
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "400"]
                    }
                },
            }
            for label in LIST_OPERATIONS
        ],
        "output": {
            "sanitization": {
                # Mask the Authorization header and any `token` field (an API key's secret), but show
                # `nextToken` cursors: a reproduction needs them and they are not secrets.
                "keys-to-sanitize": [*DEFAULT_KEYS_TO_SANITIZE, "token"],
                "sensitive-markers": [m for m in DEFAULT_SENSITIVE_MARKERS if m != "token"],
            }
        },
    }
    if seed is not None:
        config["seed"] = seed
    if options.read_only:
        # The coverage phase also sends methods an operation does not declare (expecting 405); on a shared
        # server a DELETE the contract does not know of could still exist, so only harmless ones go out.
        config["phases"]["coverage"]["unexpected-methods"] = ["options", "trace"]
    if options.request_timeout is not None:
        config["request-timeout"] = options.request_timeout
    # --max-time is not schemathesis's `max-time`, which keeps fuzzing until the time is spent: the runner
    # stops the engine at the deadline and bounds every request by it (deadline.py).
    if options.rate_limit is not None:
        rate = options.rate_limit
        config["rate-limit"] = f"{int(rate)}/s" if rate == int(rate) else f"{max(1, round(rate * 60))}/m"
    return config
