"""The npm tools the end-to-end tests run (openapi-typescript, Prism, Specmatic), each installed with npm from a
pinned package.json into a cache folder named by that file's hash, so a second run installs nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

CACHE = Path(os.environ.get("GROUPKIT_TOOLS_CACHE", Path.home() / ".cache" / "groupkit-tools"))
INSTALL_TIMEOUT = 600  # seconds for one `npm install`


def package_json(name: str, dependencies: dict[str, str]) -> bytes:
    """A minimal private package.json that pins `dependencies` (exact versions: a cache folder must not drift)."""
    return json.dumps({"name": name, "private": True, "dependencies": dependencies}, indent=2).encode()


def installed(name: str, package: bytes, command: str) -> Path:
    """The folder where `package` (a package.json's bytes) is installed, with npm if `node_modules/.bin/command`
    is not there yet. Without Node.js and npm this fails (AssertionError saying what to install), never skips."""
    folder = CACHE / f"{name}-{hashlib.sha256(package).hexdigest()[:12]}"
    if not (folder / "node_modules" / ".bin" / command).exists():
        npm = shutil.which("npm")
        assert npm and shutil.which("node"), "Node.js and npm are needed (apt-get install nodejs npm)"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_bytes(package)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder)],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert (folder / "node_modules" / ".bin" / command).exists(), (
            f"npm installed {name} without {command}"
        )
    return folder
