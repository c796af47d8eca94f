"""Reading a contract for `diff` and `lint` from a file, an http(s) URL or a git revision (`REV:path`),
with the line of every JSON pointer so findings can point into the file."""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class SourceError(Exception):
    """Raised when a contract cannot be read (missing file, failed download, unknown revision) or is not
    a YAML/JSON mapping."""


@dataclass
class Document:
    """A parsed contract and where it came from.

    `name` is what the user typed; `file` is the path a CI annotation should name (the file itself, or
    the path inside the repository for `REV:path`; empty for a URL or a document built in memory).
    `lines` maps JSON pointers to 1-based line numbers and `anchors` lists every YAML anchor and alias as
    (`&name` or `*name`, line, pointer); both are read from `text` when first asked for.
    """

    name: str
    file: str
    text: str
    data: dict[str, Any]
    _lines: dict[str, int] | None = field(default=None, repr=False)
    _anchors: list[tuple[str, int, str]] | None = field(default=None, repr=False)

    @property
    def lines(self) -> dict[str, int]:
        if self._lines is None:
            self._index()
        assert self._lines is not None
        return self._lines

    @property
    def anchors(self) -> list[tuple[str, int, str]]:
        if self._anchors is None:
            self._index()
        assert self._anchors is not None
        return self._anchors

    def _index(self) -> None:
        self._lines, self._anchors = _index_text(self.text) if self.text else ({}, [])

    def line(self, pointer: str) -> int | None:
        """The line of `pointer`, or of its nearest ancestor that has one."""
        lines = self.lines
        while True:
            if pointer in lines:
                return lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


URL = re.compile(r"^https?://", re.IGNORECASE)


def read(name: str, *, timeout: float = 30.0) -> Document:
    """The contract named `name`: an existing file, else an http(s) URL, else a git `REV:path`."""
    path = Path(name)
    if path.is_file():
        try:
            return parse(path.read_text("utf-8"), name=name, file=name)
        except (OSError, UnicodeDecodeError) as error:
            raise SourceError(f"{name}: {error}") from error
    if URL.match(name):
        return parse(_download(name, timeout), name=name, file="")
    if ":" in name and not URL.match(name) and "://" not in name:
        revision, _, inner = name.partition(":")
        return parse(_git_show(revision, inner), name=name, file=inner.removeprefix("./"))
    raise SourceError(f"{name}: no such file (nor an http(s) URL, nor a git REV:path)")


def _download(url: str, timeout: float) -> str:
    import httpx

    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise SourceError(f"{url}: {error}") from error
    return response.text


def _git_show(revision: str, inner: str) -> str:
    try:
        done = subprocess.run(
            ["git", "show", f"{revision}:{inner}"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SourceError(f"{revision}:{inner}: cannot run git: {error}") from error
    if done.returncode != 0:
        raise SourceError(f"{revision}:{inner}: {done.stderr.strip() or 'git show failed'}")
    return done.stdout


def parse(text: str, *, name: str, file: str = "") -> Document:
    """Parse YAML (or JSON) text into a Document (with libyaml when PyYAML has it)."""
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise SourceError(f"{name}: {str(error).replace(chr(10), ' ')}") from error
    if not isinstance(data, dict):
        raise SourceError(f"{name} does not hold an OpenAPI document (a YAML mapping)")
    return Document(name=name, file=file, text=text, data=data)


@functools.lru_cache(maxsize=8)
def _index_text(text: str) -> tuple[dict[str, int], list[tuple[str, int, str]]]:
    """The line map and anchors of a YAML text (cached: `lint` and `diff` in one run read the same file;
    the result is shared, so treat it as read-only)."""
    lines: dict[str, int] = {}
    anchors: list[tuple[str, int, str]] = []
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None and not any(
        isinstance(token, yaml.AnchorToken | yaml.AliasToken) for token in yaml.scan(text, Loader=fast)
    ):
        root = yaml.compose(text, Loader=fast)  # no alias to place: libyaml's tree will do
        anchored: dict[int, str] = {}
    else:
        loader = _LineLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        anchored = loader.anchored
    if root is not None:
        _walk_nodes(root, "", lines, anchors, anchored)
    return lines, anchors


class _LineLoader(yaml.SafeLoader):
    """Composes the node tree with an alias left as a leaf at its own position (instead of the anchored
    node, which sits elsewhere in the file), and notes which nodes carry an anchor."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.anchored: dict[int, str] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        parser: Any = self  # PyYAML's stubs leave the parser's event methods untyped
        event = parser.peek_event()
        if isinstance(event, yaml.AliasEvent):
            super().compose_node(parent, index)
            marks: Any = (event.start_mark, event.end_mark)  # libyaml's or PyYAML's Mark, the same shape
            return yaml.ScalarNode("tag:yaml.org,2002:alias", f"*{event.anchor}", *marks)
        node = super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        if anchor and node is not None:
            self.anchored[id(node)] = f"&{anchor}"
        return node


def _walk_nodes(
    node: yaml.Node,
    at: str,
    lines: dict[str, int],
    anchors: list[tuple[str, int, str]],
    anchored: dict[int, str],
) -> None:
    line = node.start_mark.line + 1
    lines.setdefault(at, line)
    if id(node) in anchored:
        anchors.append((anchored[id(node)], line, at))
    elif node.tag == "tag:yaml.org,2002:alias":
        anchors.append((str(node.value), line, at))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{at}/{escape(str(key.value))}"
            lines.setdefault(child, key.start_mark.line + 1)
            _walk_nodes(value, child, lines, anchors, anchored)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_nodes(item, f"{at}/{index}", lines, anchors, anchored)


def escape(part: str) -> str:
    """One JSON pointer segment (RFC 6901)."""
    return part.replace("~", "~0").replace("/", "~1")


def pointer(*parts: str | int) -> str:
    return "".join("/" + escape(str(part)) for part in parts)


def resolve(data: Any, ref: str) -> Any:
    """The node a local `#/...` reference names, or None when it names nothing."""
    if not ref.startswith("#"):
        return None
    node = data
    for raw in ref[1:].split("/")[1:] if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def follow(data: Any, node: Any) -> tuple[Any, str | None]:
    """Follow `$ref`s from `node` (a parameter, body, response or schema): the target, and the JSON pointer
    of the last reference followed (None when `node` was no reference)."""
    at, seen = None, set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        seen.add(node["$ref"])
        at = node["$ref"][1:]
        node = resolve(data, node["$ref"])
    return node, at
