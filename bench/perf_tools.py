"""The programs `perf.py` drives, found or installed: `wrk` and Node.js from Debian's packages (run with
apt-get as root, else the command is printed), Prism from the npm registry into a scratch folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PRISM_PACKAGE = "@stoplight/prism-cli@5"  # the major the issue compares against
INSTALL_TIMEOUT = 600  # seconds, for each apt-get or npm step


class Missing(RuntimeError):
    """Raised when a program is missing and cannot be installed from here; the message says how to."""


def _apt_install(packages: list[str]) -> None:
    """Install Debian `packages` with apt-get when running as root; otherwise say the command to run."""
    command = f"apt-get update && apt-get install -y {' '.join(packages)}"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise Missing(f"{', '.join(packages)} not found; install with: sudo sh -c '{command}'")
    print(f"installing {' '.join(packages)}: {command}", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        _run(step, env=env)


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    """Run an install step, bounded; `Missing` if it fails."""
    try:
        subprocess.run(command, check=True, env=env, timeout=INSTALL_TIMEOUT, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as error:
        raise Missing(f"{' '.join(command)} failed: {error}") from error


def wrk() -> str:
    """The path of `wrk`, installed (Debian package `wrk`) if missing."""
    if shutil.which("wrk") is None:
        _apt_install(["wrk"])
    found = shutil.which("wrk")
    if found is None:
        raise Missing("wrk is still not on PATH after installing it")
    return found


def prism(scratch: Path) -> Path:
    """The `prism` command under `scratch/prism`, installed there with npm if missing (Node.js and npm
    first, from Debian's packages, if they are missing too)."""
    folder = scratch / "prism"
    command = folder / "node_modules" / ".bin" / "prism"
    if command.exists():
        return command
    if shutil.which("node") is None or shutil.which("npm") is None:
        _apt_install(["nodejs", "npm"])
    folder.mkdir(parents=True, exist_ok=True)
    print(f"installing {PRISM_PACKAGE} into {folder}", file=sys.stderr)
    _run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", PRISM_PACKAGE])
    if not command.exists():
        raise Missing(f"npm installed {PRISM_PACKAGE} but {command} is not there")
    return command


def version(command: list[str]) -> str:
    """The first line a `--version` call prints, or `?`."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def py_spy() -> str:
    """The path of `py-spy` beside this Python (the venv's) or on PATH; `Missing` says how to get it."""
    beside = Path(sys.executable).with_name("py-spy")
    if beside.exists():
        return str(beside)
    found = shutil.which("py-spy")
    if found is None:
        raise Missing(f"py-spy not found; install it with: {sys.executable} -m pip install py-spy")
    return found
