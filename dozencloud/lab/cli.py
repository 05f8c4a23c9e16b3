"""`dozen lab ...`: build, inspect, break and tear down the lab."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from dozencloud.lab.lab import Lab
from dozencloud.lab.system import LabError
from dozencloud.lab.topology import TopologyError
from dozencloud.lab.topology import load as load_topology
from dozencloud.paths import default_topology


def add_parser(sub) -> None:
    lab = sub.add_parser("lab", help="the lab: Debian hosts of both architectures on this machine")
    cmds = lab.add_subparsers(dest="lab_cmd", required=True, metavar="COMMAND")

    up = cmds.add_parser("up", help="build and boot the topology's hosts (idempotent)")
    up.add_argument(
        "-t",
        "--topology",
        type=Path,
        default=None,
        help="topology file (default: inventories/aio/lab.yml)",
    )
    up.add_argument("hosts", nargs="*", help="only these hosts")

    down = cmds.add_parser("down", help="power every host off and release everything")
    down.add_argument(
        "--purge", action="store_true", help="also delete the hosts' disks (their data is lost)"
    )
    down.add_argument("hosts", nargs="*", help="only these hosts")

    st = cmds.add_parser("status", help="show the hosts and their state")
    st.add_argument("--json", action="store_true")

    inv = cmds.add_parser("inventory", help="print the lab as an Ansible inventory (JSON)")
    inv.add_argument("--list", action="store_true", help="(inventory script protocol)")
    inv.add_argument("--host", help="(inventory script protocol)")

    ssh = cmds.add_parser("ssh", help="ssh into a host, as Ansible does")
    ssh.add_argument("host")
    ssh.add_argument("argv", nargs=argparse.REMAINDER, metavar="COMMAND")

    ex = cmds.add_parser("exec", help="run a command inside a host, without the network")
    ex.add_argument("host")
    ex.add_argument("argv", nargs=argparse.REMAINDER, metavar="COMMAND")

    for name, text in (
        ("start", "boot one stopped host"),
        ("stop", "power one host off cleanly (fault: host down)"),
        ("kill", "kill every process of one host at once (fault: crash)"),
    ):
        p = cmds.add_parser(name, help=text)
        p.add_argument("host")

    link = cmds.add_parser("link", help="cut or restore one host's network link (fault)")
    link.add_argument("host")
    link.add_argument("state", choices=["up", "down"])


def run(args) -> int:
    try:
        if args.lab_cmd == "up":
            # Refuse a bad topology before touching anything, the lock included.
            args.topology = args.topology or default_topology()
            load_topology(args.topology)
        with Lab() as lab:
            return _dispatch(lab, args)
    except (LabError, TopologyError) as exc:
        print(f"dozen lab {args.lab_cmd}: {exc}", file=sys.stderr)
        return 2


def _dispatch(lab: Lab, args) -> int:
    cmd = args.lab_cmd
    if cmd == "up":
        result = lab.up(args.topology, args.hosts or None)
        print(json.dumps(result))
    elif cmd == "down":
        print(json.dumps(lab.down(purge=args.purge, only=args.hosts or None)))
    elif cmd == "status":
        st = lab.status()
        if args.json:
            print(json.dumps(st, indent=2))
        elif st["lab"] is None:
            print("no lab")
        else:
            print(f"lab {st['lab']}: {st['network']} on {st['bridge']} ({st['topology']})")
            for h in st["hosts"]:
                state = "running" if h["running"] else "stopped"
                mem = h["memory_limit"]
                mem = f"{mem // 2**20}M" if mem else "-"
                print(
                    f"  {h['name']:<16} {h['arch']:<6} {h['address']:<15} {state:<8} "
                    f"link={h['link'] or '-':<5} mem={mem:<6} groups={','.join(h['groups'])}"
                )
    elif cmd == "inventory":
        inv = lab.inventory()
        print(json.dumps(inv["_meta"]["hostvars"].get(args.host, {}) if args.host else inv))
    elif cmd == "ssh":
        h = lab.host(args.host)
        argv = lab.ssh_argv(h.spec.address)
        if sys.stdin.isatty() and not args.argv:
            argv.insert(1, "-t")
        lab.__exit__()
        os.execvp(argv[0], [*argv, *args.argv])
    elif cmd == "exec":
        command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        if not command:
            raise LabError("exec needs a command, e.g. dozen lab exec HOST -- uname -m")
        return lab.host(args.host).exec(command).returncode
    elif cmd == "start":
        topo = lab.require()
        print(json.dumps(lab.up(Path(topo.source), [args.host])))
    elif cmd == "stop":
        print(json.dumps({args.host: lab.host(args.host).poweroff()}))
    elif cmd == "kill":
        h = lab.host(args.host)
        h.kill()
        h.cleanup()
        print(json.dumps({args.host: "killed"}))
    elif cmd == "link":
        lab.host(args.host).set_link(args.state == "up")
    return 0
