"""Where the mock's time goes under load: py-spy samples its process while wrk drives it, and the
collapsed stacks (`--format raw`) are summed into the layers of the request path, costs wherever they are
incurred (jsonschema, inspect.signature, JSON), and the functions with the most samples (own and under).

Percentages are of the samples in which the process was running Python (py-spy leaves idle ones out).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from perf_servers import REPO

# The layers of the request path, by the frames of a stack. A sample counts once, for the innermost frame
# that matches a layer (the first layer in this order, where a frame matches several), so the layers add up
# to 100 %: a layer's share is its own code and the libraries it calls that are no layer (jsonschema under
# a validator, json.loads under response validation). Patterns match `short()` frames.
LAYERS: dict[str, str] = {
    "inspect.signature": r"\(inspect\.py\)$",
    "JSON encoding (connexion's Jsonifier, json.dumps)": r"\((json/encoder\.py|connexion/jsonifier\.py)\)$",
    "connexion response validation": (
        r"^(ResponseValidationOperation\.__call__\.<locals>\.wrapped_send|AbstractResponseBodyValidator"
        r"|JSONResponseBodyValidator|TextResponseBodyValidator|ResponseValidator)\."
        r"|\(connexion/middleware/response_validation\.py\)$"
    ),
    # groupkit/validation.py's compiled schemas (`Compiler`, groupkit/fastschema.py) serve both validations:
    # they match no layer, so a sample in them counts for the validator that called them.
    "connexion request validation (parameters, body)": (
        r"\((connexion/middleware/request_validation\.py|connexion/validators/\w+\.py"
        r"|groupkit/strict_json\.py)\)$|^(StrictJSONBodyValidator|BodyValidator|WireParameterValidator)\."
    ),
    "connexion security (apiKey)": (
        r"\((connexion/middleware/security\.py|connexion/security\.py)\)$|token_info|^accepts_kwarg "
    ),
    "routing (connexion, starlette)": r"\((connexion/middleware/routing\.py|starlette/routing\.py)\)$",
    "connexion decorators and request (arguments, response)": (
        r"\(connexion/(decorators/\w+|lifecycle|uri_parsing|utils|datastructures|context)\.py\)$"
        r"|^(DecoratedOnce|OnceOperation|PythonicParameters)\."  # groupkit/fastconnexion.py's
    ),
    "connexion's other middleware (errors, Swagger UI, lifespan)": (
        r"\((connexion/(middleware|apps)/\w+\.py|starlette/middleware/(errors|exceptions)\.py"
        r"|starlette/_exception_handler\.py)\)$|^SwaggerUIByPath\."
    ),
    "handlers": r"\(handlers/\w+\.py\)$",
    "store and domain rules": r"\(groupkit/(store|groups|access|members|apikeys|state|pagination|model|roles)\.py\)$",
    "wire (domain to JSON values)": r"\(groupkit/wire\.py\)$",
    "groupkit journal": r"\(groupkit/journal\.py\)$",
    "CORS (groupkit, starlette)": r"\((groupkit/cors\.py|starlette/middleware/cors\.py)\)$",
    "groupkit request guard": r"\(groupkit/guard\.py\)$",
    "groupkit host guard and dispatch": r"\(groupkit/(hosts|app)\.py\)$",
    "groupkit problems (error bodies)": r"\(groupkit/problems\.py\)$",
    "uvicorn + httptools (parsing, writing)": r"\((uvicorn/.*|groupkit/server\.py)\)$",
}
OTHER = "other (event loop, starlette plumbing)"

# Costs wherever they are incurred (a sample counts if any frame matches; these overlap).
ANYWHERE: dict[str, str] = {
    "jsonschema": r"\(jsonschema/",
    "referencing (jsonschema's $ref registry)": r"\(referencing/",
    "inspect.signature": r"^signature \(inspect\.py\)$",
    "JSON encoding": r"\((json/encoder\.py|connexion/jsonifier\.py)\)$",
    "JSON decoding": r"\((json/decoder\.py|groupkit/strict_json\.py)\)$",
    "compiled schemas (jsonschema_rs, groupkit/fastschema.py)": r"\(groupkit/fastschema\.py\)$",
    "typing (isinstance on generics, Union hashing)": r"\(typing\.py\)$",
}


@dataclass
class Profile:
    """A summary of collapsed stacks: samples in all, per layer, per cost, and per function (own, under)."""

    samples: int = 0
    layers: Counter[str] = field(default_factory=Counter)
    anywhere: Counter[str] = field(default_factory=Counter)
    own: Counter[str] = field(default_factory=Counter)
    under: Counter[str] = field(default_factory=Counter)

    def share(self, count: int) -> float:
        return 100.0 * count / self.samples if self.samples else 0.0

    def as_dict(self, top: int = 25) -> dict[str, object]:
        def ranked(counter: Counter[str]) -> list[dict[str, object]]:
            return [{"name": n, "percent": round(self.share(c), 1)} for n, c in counter.most_common(top)]

        return {
            "samples": self.samples,
            "layers": {name: round(self.share(count), 1) for name, count in self.layers.most_common()},
            "anywhere": {name: round(self.share(self.anywhere[name]), 1) for name in ANYWHERE},
            "own": ranked(self.own),
            "under": ranked(self.under),  # outer frames included
        }


_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>.*?)(?::\d+)?\)$")


def short(frame: str) -> str:
    """`Qualname (module path)` without the line, site-packages, the stdlib's folder or the checkout's."""
    match = _FRAME.match(frame)
    if match is None:
        return frame
    file = re.sub(r"^.*/(site-packages|lib/python3\.\d+)/", "", match["file"])
    file = file.removeprefix(f"{REPO}/")
    return f"{match['name']} ({file})"


def _layer(frames: list[str], patterns: dict[str, re.Pattern[str]]) -> str:
    for frame in reversed(frames):  # innermost first
        for name, pattern in patterns.items():
            if pattern.search(frame):
                return name
    return OTHER


def summarise(collapsed: str) -> Profile:
    """Sum py-spy's raw output (`frame;frame;... count` per line, outermost frame first)."""
    profile = Profile()
    layers = {name: re.compile(pattern) for name, pattern in LAYERS.items()}
    anywhere = {name: re.compile(pattern) for name, pattern in ANYWHERE.items()}
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [short(frame) for frame in stack.split(";")]
        profile.samples += count
        profile.layers[_layer(frames, layers)] += count
        for name, pattern in anywhere.items():
            if any(pattern.search(frame) for frame in frames):
                profile.anywhere[name] += count
        profile.own[frames[-1]] += count
        for name in set(frames):
            profile.under[name] += count
    return profile


def record(py_spy: str, pid: int, out: Path, seconds: int, during: Callable[[], object]) -> Profile:
    """Sample `pid` with py-spy for `seconds` while `during()` runs (a wrk run as long), keep the raw
    stacks in `out`, and summarise them."""
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100"]
    command += ["--function", "--full-filenames", "--format", "raw", "-o", str(out)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        during()
        _, errors = spy.communicate(timeout=seconds + 60)
    finally:
        if spy.poll() is None:
            spy.kill()  # the py-spy this function started
            spy.wait(5)
    if spy.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed ({spy.returncode}): {errors.strip()[-600:]}")
    return summarise(out.read_text())


def _inner(profile: Profile, outer: float = 80.0) -> Counter[str]:
    """Functions by samples under them, less the path's outer frames (under `outer` % of all samples or
    more: the server loop, the ASGI chain down to connexion), which say nothing about where time goes."""
    return Counter({n: c for n, c in profile.under.items() if profile.share(c) < outer})


def report(profile: Profile, top: int = 15) -> str:
    """The summary as text: layers, costs anywhere, then the top functions by own samples and under them."""
    lines = [f"{profile.samples} samples; by layer (innermost, adding up to 100 %):"]
    lines += [f"  {profile.share(count):5.1f} %  {name}" for name, count in profile.layers.most_common()]
    lines.append("wherever incurred (overlapping):")
    lines += [f"  {profile.share(profile.anywhere[name]):5.1f} %  {name}" for name in ANYWHERE]
    for title, counter in (("own", profile.own), ("under", _inner(profile))):
        lines.append(f"top {top} functions by samples {title}:")
        lines += [f"  {profile.share(count):5.1f} %  {name}" for name, count in counter.most_common(top)]
    return "\n".join(lines)
