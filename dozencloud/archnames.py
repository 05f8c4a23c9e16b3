"""Bridge to the collection's single architecture alias table.

The table lives in plugins/module_utils/arch.py; the lab loads that file
directly so the `dozen` command does not need the collection on sys.path.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

_TABLE = Path(__file__).resolve().parents[1] / "plugins" / "module_utils" / "arch.py"

# Debian images the lab can build and boot (qemu-user runs the foreign one).
LAB_CANONICAL = ("x86_64", "aarch64")


@cache
def table():
    spec = importlib.util.spec_from_file_location("dozen_arch_table", _TABLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def lab_architectures() -> dict[str, str]:
    """Architectures the lab can build, as dpkg name -> kernel name."""
    return {table().arch_alias(k, "dpkg"): k for k in LAB_CANONICAL}
