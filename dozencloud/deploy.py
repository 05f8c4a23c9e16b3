"""`dozen deploy|prechecks|verify|tempest`: run a lifecycle playbook on a site, with progress."""

from __future__ import annotations

import sys
from pathlib import Path

from dozencloud import runner
from dozencloud.paths import project_root

# Subcommand -> (playbook under playbooks/, help)
PLAYBOOKS = {
    "deploy": ("site.yml", "deploy or re-converge the site (prechecks first)"),
    "prechecks": ("prechecks.yml", "check the inventory and the hosts; changes nothing"),
    "verify": ("verify.yml", "check that the deployed site works"),
    "tempest": ("tempest.yml", "run Tempest, OpenStack's own test suite, against the site"),
}


def add_parser(sub) -> None:
    for name, (playbook, text) in PLAYBOOKS.items():
        p = sub.add_parser(
            name,
            help=text,
            description=f"Run playbooks/{playbook} with ansible-runner; the run is kept in "
            "a run directory (artifacts, summary.json).",
        )
        p.add_argument("-i", "--inventory", type=Path, required=True, help="the site inventory")
        p.add_argument("-l", "--limit", help="only these hosts (ansible host pattern)")
        p.add_argument("-t", "--tags", help="only tasks and plays with these tags")
        p.add_argument("--skip-tags", help="skip tasks and plays with these tags")
        p.add_argument(
            "-e",
            "--extra-vars",
            action="append",
            default=[],
            metavar="VAR=VAL|@FILE",
            help="extra variables, as for ansible-playbook (repeatable); inline values are "
            "kept out of the run directory",
        )
        p.add_argument("-C", "--check", action="store_true", help="change nothing, report")
        p.add_argument("-D", "--diff", action="store_true", help="show the changes in files")
        p.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=0,
            help="ansible's full output instead of the progress view; -vv... as for ansible",
        )
        p.add_argument("--vault-password-file", type=Path)
        p.add_argument(
            "--strategy",
            help="Ansible's execution strategy (default: $ANSIBLE_STRATEGY, else ansible.cfg's "
            "mitogen_linear); linear goes back to Ansible's own",
        )
        p.add_argument(
            "--run-dir",
            type=Path,
            help="keep the run here (default: $DOZEN_RUN_DIR, else runs/<UTC time>-<command>)",
        )


def options_from(args) -> runner.Options:
    return runner.Options(
        inventory=args.inventory,
        limit=args.limit,
        tags=args.tags,
        skip_tags=args.skip_tags,
        extra_vars=list(args.extra_vars),
        check=args.check,
        diff=args.diff,
        verbosity=args.verbose,
        vault_password_file=args.vault_password_file,
        strategy=args.strategy,
    )


def record_argv(args) -> list[str]:
    """The command line for summary.json, with inline extra vars' values hidden."""
    argv = ["dozen", args.command, "-i", str(args.inventory)]
    for flag, value in (
        ("--limit", args.limit),
        ("--tags", args.tags),
        ("--skip-tags", args.skip_tags),
        ("--vault-password-file", args.vault_password_file),
        ("--run-dir", args.run_dir),
        ("--strategy", args.strategy),
    ):
        if value:
            argv += [flag, str(value)]
    for value in runner.redact_extra_vars(args.extra_vars):
        argv += ["-e", value]
    argv += [flag for flag, on in (("--check", args.check), ("--diff", args.diff)) if on]
    if args.verbose:
        argv.append("-" + "v" * args.verbose)
    return argv


def run(args) -> int:
    playbook = project_root() / "playbooks" / PLAYBOOKS[args.command][0]
    try:
        result = runner.run_playbook(
            playbook,
            options_from(args),
            command=args.command,
            argv=record_argv(args),
            run_dir=args.run_dir,
        )
    except runner.UsageError as exc:
        print(f"dozen {args.command}: {exc}", file=sys.stderr)
        return 2
    return result.exit_code
