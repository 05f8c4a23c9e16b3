"""The `dozen` command."""

from __future__ import annotations

import argparse
import sys

from dozencloud.lab import cli as lab_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dozen", description="DozenCloud: deploy a mixed x86_64/ARM64 cloud."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lab_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "lab":
        return lab_cli.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
