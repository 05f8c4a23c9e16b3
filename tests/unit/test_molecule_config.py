"""The molecule configuration molecule itself would refuse only in the lab.

Molecule turns the verifier's options into a command line and quotes each
value with shlex, which fails on anything but a string: an int option (say
``durations: 15``) breaks every scenario's verify step, after its converge.
These checks catch that before any lab starts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [
    ROOT / ".config" / "molecule" / "config.yml",
    *sorted(ROOT.glob("molecule/*/molecule.yml")),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_command_line_options_are_strings(config):
    data = yaml.safe_load(config.read_text()) or {}
    for section in ("verifier", "provisioner"):
        options = (data.get(section) or {}).get("options") or {}
        # molecule.util.dict2args: True is a bare flag, False leaves it out,
        # anything else is the flag's value and must be a string.
        bad = {k: v for k, v in options.items() if not isinstance(v, (str, bool))}
        assert not bad, f"{config}: {section}.options {bad} must be strings (quote them)"


def test_the_base_config_is_found():
    assert CONFIGS[0].is_file()
    assert len(CONFIGS) > 1
