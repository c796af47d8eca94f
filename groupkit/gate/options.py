"""The options of `groupkit gate`, each declared once with its command-line flag (`conformance/flags.py`), and
their validation. The live server's options (except `--seed`, which seeds both runs) are `groupkit conform`'s
own, declared again from its `Options` fields so that their flags, help and environment variables stay the same."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..conformance.configuration import problems
from ..conformance.flags import KEY, Flag, command_line, flag
from ..conformance.options import DEFAULT_MAX_EXAMPLES, PHASES, Options
from ..contract import CONTRACT_PATH

FORMATS = ("text", "githubactions")
CONTRACT, MOCK, LIVE, REPORTS = "the contract", "the mock's self-conformance", "a live server", "reports"
SELF_SEED = 1  # the self-conformance's seed without --seed: a contract change gets the same verdict each run


def _fail_on(text: str) -> str:
    if text.upper() not in ("ERR", "WARN"):
        raise argparse.ArgumentTypeError(f"use ERR or WARN, not {text!r}")
    return text.upper()


def _format(text: str) -> str:
    if text not in FORMATS:
        raise argparse.ArgumentTypeError(f"use one of {', '.join(FORMATS)}, not {text!r}")
    return text


def _phases(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _conform(name: str, **changes: Any) -> Any:
    """A field declared as `groupkit conform`'s field `name` (its default and flag), in this command's
    group for live runs, with `changes` to its flag (a help text that says what it means here)."""
    source = next(f for f in dataclasses.fields(Options) if f.name == name)
    spec: Flag = dataclasses.replace(source.metadata[KEY], group=LIVE, **changes)
    if source.default_factory is not dataclasses.MISSING:
        return field(default_factory=source.default_factory, metadata={KEY: spec})
    return field(default=source.default, metadata={KEY: spec})


@dataclass
class GateOptions:
    """Everything `groupkit gate` accepts. `contract` is HEAD, the contract under review (a positional
    argument on the command line); every other field declares its flag here."""

    contract: str = str(CONTRACT_PATH)
    base: str | None = field(
        default=None,
        metadata=flag(
            "the contract to diff HEAD against: a git REV:path (origin/main:openapi.yaml), a file or an "
            "http(s) URL (without it the diff step is skipped)",
            CONTRACT,
            metavar="BASE",
        ),
    )
    exemptions: Path | None = field(
        default=None,
        metadata=flag(
            "the diff's exemptions file (docs/diff-and-lint.md)", CONTRACT, metavar="FILE", parse=Path
        ),
    )
    fail_on: str = field(
        default="ERR",
        metadata=flag(
            "lint and diff findings at this level or above fail the gate: ERR or WARN (default ERR)",
            CONTRACT,
            metavar="LEVEL",
            parse=_fail_on,
        ),
    )
    self_max_examples: int = field(
        default=10,
        metadata=flag(
            "cases per operation and phase when the kit checks the mock built on HEAD (default 10)",
            MOCK,
            metavar="N",
            parse=int,
        ),
    )
    self_phases: list[str] = field(
        default_factory=lambda: list(PHASES),
        metadata=flag(
            f"its phases, among {','.join(PHASES)} (default: all)",
            MOCK,
            metavar="LIST",
            parse=_phases,
            show=",".join,
        ),
    )
    seed: int | None = field(
        default=None,
        metadata=flag(
            f"seed of both conformance runs (default: {SELF_SEED} for the mock's, a random one for a live "
            "server's, printed in its report)",
            MOCK,
            parse=int,
        ),
    )
    base_url: str | None = field(
        default=None,
        metadata=flag("also run the conformance kit against the server at URL, on HEAD", LIVE, metavar="URL"),
    )
    token: str | None = _conform("token")
    other_token: str | None = _conform("other_token")
    wait_for_server: float = _conform("wait_for_server")
    max_examples: int = _conform(
        "max_examples", help=f"cases per operation and phase (default {DEFAULT_MAX_EXAMPLES})"
    )
    confirm: int = _conform("confirm")
    baseline: Path | None = _conform("baseline")
    report: Path | None = field(
        default=None,
        metadata=flag(
            "write the Markdown summary to FILE ($GITHUB_STEP_SUMMARY in GitHub Actions)",
            REPORTS,
            metavar="FILE",
            parse=Path,
            replay=False,
        ),
    )
    junit_xml: Path | None = field(
        default=None,
        metadata=flag(
            "write JUnit XML to FILE: one test suite per step",
            REPORTS,
            metavar="FILE",
            parse=Path,
            replay=False,
        ),
    )
    format: str = field(
        default="text",
        metadata=flag(
            "how lint and diff findings are printed: text, or githubactions (workflow commands that GitHub "
            "shows as annotations on the pull request)",
            REPORTS,
            metavar="FORMAT",
            parse=_format,
            replay=False,
        ),
    )


LIVE_ONLY = ("token", "other_token", "wait_for_server", "max_examples", "confirm", "baseline")
MOCK_BASE_URL = "http://127.0.0.1"  # the in-process mock's address: a loopback name its Host guard answers


def self_options(options: GateOptions, contract: Path, app: Any = None) -> Options:
    """The kit's options for checking the mock built on HEAD (`app`, in-process), as the default world's
    demo users: Alice, and Eva of another tenant for the isolation checks."""
    return Options(
        base_url=MOCK_BASE_URL,
        token="demo-token-alice",
        other_token="demo-token-eva",
        contract=contract,
        max_examples=options.self_max_examples,
        phases=options.self_phases,
        seed=self_seed(options),
        app=app,
    )


def self_seed(options: GateOptions) -> int:
    return options.seed if options.seed is not None else SELF_SEED


def live_options(options: GateOptions, contract: Path) -> Options:
    """The kit's options for the live server at `--base-url`."""
    assert options.base_url is not None
    values = {name: getattr(options, name) for name in LIVE_ONLY}
    return Options(base_url=options.base_url, contract=contract, seed=options.seed, **values)


def replay_command(options: GateOptions) -> str:
    """The `groupkit gate` line that runs these steps again (tokens left to their environment variables)."""
    words = ["groupkit gate"]
    if options.contract != str(CONTRACT_PATH):
        words.append(shlex.quote(options.contract))
    return " ".join([*words, *command_line(options)])


def gate_problems(options: GateOptions) -> list[str]:
    """What is wrong with the options (an empty list: the gate can run)."""
    found = []
    if options.exemptions is not None:
        if options.base is None:
            found.append("--exemptions applies to the diff: give --base too")
        elif not Path(options.exemptions).is_file():
            found.append(f"--exemptions {options.exemptions}: no such file")
    defaults = GateOptions()
    if options.base_url is None:
        # The tokens may come from the environment of a CI job that runs the gate without a live server.
        unused = [name for name in LIVE_ONLY[2:] if getattr(options, name) != getattr(defaults, name)]
        if unused:
            named = ", ".join("--" + name.replace("_", "-") for name in unused)
            found.append(f"{named} apply to the live server's run: give --base-url too")
    else:
        found += problems(live_options(options, Path(options.contract)))
    mock = [
        problem.replace("--max-examples", "--self-max-examples").replace("--phases", "--self-phases")
        for problem in problems(self_options(options, Path(options.contract)))
    ]
    return found + [problem for problem in mock if problem not in found]
