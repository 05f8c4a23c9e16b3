"""Where the project lives, for commands run from anywhere."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The DozenCloud checkout: $DOZEN_ROOT, else the one this package was installed from."""
    env = os.environ.get("DOZEN_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parents[1]
    if (here / "galaxy.yml").exists():
        return here
    cwd = Path.cwd()
    for d in (cwd, *cwd.parents):
        if (d / "galaxy.yml").exists() and (d / "playbooks").is_dir():
            return d
    raise SystemExit("dozen: cannot find the DozenCloud checkout; set DOZEN_ROOT")


def default_topology() -> Path:
    return project_root() / "inventories" / "aio" / "lab.yml"
