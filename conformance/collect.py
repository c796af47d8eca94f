"""Findings from the engine's events: one per operation, check and failure title, counted each time the run
meets it, with the curl that shows it and its smallest reproduction (reproduction.py)."""

from __future__ import annotations

from collections.abc import Iterator

from schemathesis.engine import events
from schemathesis.engine.recorder import ScenarioRecorder

from .failures import GroupkitFailure
from .reproduction import Reproduction
from .results import Finding

__all__ = ["Findings", "count_cases"]


def count_cases(recorder: ScenarioRecorder) -> int:
    """Generated requests that got an answer (not the extra requests checks derived from them)."""
    return sum(
        1
        for case_id, node in recorder.cases.items()
        if (node.parent_id is None or node.transition is not None)
        and (interaction := recorder.interactions.get(case_id)) is not None
        and interaction.response is not None
    )


def _with_status(message: str, recorder: ScenarioRecorder, case_id: str) -> str:
    """A stock check's message, with the status its request got when the message does not say it (schemathesis's
    `positive_data_acceptance` says which statuses it expected, not which one came back)."""
    interaction = recorder.interactions.get(case_id)
    response = interaction.response if interaction is not None else None
    if response is None or str(response.status_code) in message:
        return message
    return f"{message.rstrip()}\nThe server answered {response.status_code}.".strip()


class Findings:
    """The distinct findings of a run, in the order first met, each with its smallest reproduction."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str, str], tuple[Finding, Reproduction]] = {}

    def __iter__(self) -> Iterator[tuple[Finding, Reproduction]]:
        return iter(list(self._found.values()))

    def __len__(self) -> int:
        return len(self._found)

    @property
    def failures(self) -> list[Finding]:
        return [finding for finding, _ in self._found.values()]

    def collect(self, event: events.ScenarioFinished) -> list[Finding]:
        """Add the failed checks of a finished scenario; the findings it met first."""
        recorder = event.recorder
        new = []
        for case_id, nodes in recorder.checks.items():
            node_case = recorder.cases.get(case_id)
            operation = node_case.value.operation.label if node_case is not None else recorder.label
            for node in nodes:
                info = node.failure_info
                if info is None:
                    continue
                failure = info.failure
                if isinstance(failure, GroupkitFailure):
                    # A probe's requests reproduce it alone; other follow-ups come after the triggering request.
                    steps = list(failure.steps) if failure.from_probe else [info.code_sample, *failure.steps]
                    message, curl = failure.detail, "\n".join(steps) or info.code_sample
                else:
                    message = _with_status(failure.message, recorder, case_id)
                    curl = "\n".join(step.curl for step in info.steps) if info.steps else info.code_sample
                finding = Finding(
                    operation=failure.operation or operation,
                    check=node.name,
                    title=failure.title,
                    message=message.strip(),
                    curl=curl.strip(),
                    code=failure.code,
                    phase=event.phase.value,
                )
                if self.add(finding, Reproduction.of(recorder, case_id, node.name, failure)):
                    new.append(finding)
        return new

    def add(self, finding: Finding, reproduction: Reproduction) -> bool:
        """Count `finding`; True when it is new. When it is not and `reproduction` is smaller than the one
        kept, it replaces it, with the message, curl, code, phase and fingerprint that go with it."""
        key = (finding.operation, finding.check, finding.title)
        finding.fingerprint = reproduction.fingerprint(finding.operation, finding.code)
        if key not in self._found:
            self._found[key] = (finding, reproduction)
            return True
        kept, kept_reproduction = self._found[key]
        kept.count += 1
        if reproduction.size < kept_reproduction.size:
            kept.message, kept.curl, kept.code = finding.message, finding.curl, finding.code
            kept.phase, kept.fingerprint = finding.phase, finding.fingerprint
            self._found[key] = (kept, reproduction)
        return False
