"""The `dozen` command."""

from __future__ import annotations

import argparse
import sys

from dozencloud import deploy
from dozencloud import passwords as passwords_cli
from dozencloud.lab import cli as lab_cli

# Subcommand name -> module with add_parser(subparsers) and run(args) -> exit code.
# One module may serve several names: its add_parser registers them all.
COMMANDS = {
    "deploy": deploy,
    "prechecks": deploy,
    "verify": deploy,
    "tempest": deploy,
    "lab": lab_cli,
    "passwords": passwords_cli,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dozen", description="DozenCloud: deploy a mixed x86_64/ARM64 cloud."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in dict.fromkeys(COMMANDS.values()):
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
