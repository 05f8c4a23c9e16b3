"""Run a playbook through ansible-runner: live progress, play timings, a run directory.

Each run gets its own directory (ansible-runner's private_data_dir). It keeps
what ansible-runner records (artifacts/<ident>/job_events, stdout, command) and
our summary.json. Inline extra vars never reach it: ansible-runner persists
`extravars` in env/extravars and the whole command line in env/cmdline and
artifacts/<ident>/command, so each inline `-e` goes to ansible-playbook as
`-e @<file>` in a private temporary directory outside the run directory, deleted
as soon as ansible-playbook has read it.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import yaml

from dozencloud.paths import project_root

RECAP_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
# playbook_on_stats names two counters differently from the PLAY RECAP line.
_STATS_KEYS = {"unreachable": "dark", "failed": "failures"}
_TASK_DONE = {"runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable"}
_TASK_START = {"playbook_on_task_start": "TASK", "playbook_on_handler_task_start": "HANDLER"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# ansible-runner checks the cancel callback once per pexpect timeout (default 5 s);
# a short one makes Ctrl-C prompt and keeps the status line's clock moving.
_POLL_SECONDS = 0.2
# How long ansible-playbook may take to stop its workers after SIGINT before it is killed.
_GRACE_SECONDS = 20
TAIL_LINES = 40

# Ansible's own notices, shown without -v: warnings (a task's, or an inventory
# source it could not parse) and errors outside a task (a YAML error in
# group_vars), with the line saying where. A failed task's [ERROR] is shown as
# its failure already. Ansible's note on the strategy plugin is noise.
_NOTICE = re.compile(r"^(\[WARNING\]|\[ERROR\]|Origin):? ")
_NOISE = re.compile(
    r"^\[WARNING\]: Deprecation warnings can be disabled|"
    r"^\[DEPRECATION WARNING\]: Use of strategy plugins not included in ansible\.builtin"
)


def _notices(text: str, *, task_result: bool) -> list[str]:
    lines = []
    for line in (_ANSI.sub("", raw).rstrip() for raw in text.splitlines()):
        if not _NOTICE.match(line) or _NOISE.match(line):
            continue
        if task_result and not line.startswith("[WARNING]"):
            continue
        lines.append(line)
    return lines


HIDDEN = "<hidden>"


class UsageError(Exception):
    """Bad input found before anything ran; the command exits 2."""


@dataclass
class Options:
    """What the operator asked of ansible-playbook. Paths are relative to the caller's cwd."""

    inventory: Path
    limit: str | None = None
    tags: str | None = None
    skip_tags: str | None = None
    extra_vars: list[str] = field(default_factory=list)
    check: bool = False
    diff: bool = False
    verbosity: int = 0
    vault_password_file: Path | None = None
    # Ansible's execution strategy; None keeps ANSIBLE_STRATEGY, else ansible.cfg's.
    strategy: str | None = None


@dataclass
class PlayTiming:
    name: str
    pattern: str
    start: float
    end: float | None = None
    hosts: set[str] = field(default_factory=set)

    @property
    def seconds(self) -> float:
        return max(0.0, (self.start if self.end is None else self.end) - self.start)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "pattern": self.pattern,
            "seconds": round(self.seconds, 3),
            "hosts": sorted(self.hosts),
        }


@dataclass
class Result:
    exit_code: int
    status: str
    rc: int | None
    run_dir: Path
    summary: dict


class Progress:
    """Turns ansible-runner event dicts into progress output, play timings and the recap.

    Its only I/O is writing to ``stream``. On a TTY it keeps one status line
    updated in place; otherwise it prints a line per play and task. Failures are
    printed as they happen. With ``verbose`` it prints ansible's own output.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        tty: bool = False,
        verbose: bool = False,
        clock=time.monotonic,
        width: int | None = None,
    ):
        self.stream = stream
        self.verbose = verbose
        self.tty = tty and not verbose
        self.plays: list[PlayTiming] = []
        self.recap: dict[str, dict[str, int]] = {}
        self.failures: list[dict] = []
        self.stats_seen = False
        # What the playbook reported with ansible.builtin.set_stats (per_host: false).
        self.report: dict = {}
        self.task: str | None = None
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._clock = clock
        self._t0 = clock()
        self._width = width
        self._last_time: float | None = None
        self._started: set[str] = set()
        self._done: set[str] = set()
        self._status_line = ""
        self._task_uuid: str | None = None

    @property
    def play(self) -> PlayTiming | None:
        return self.plays[-1] if self.plays else None

    def elapsed(self) -> float:
        return self._clock() - self._t0

    def handle(self, event: dict) -> None:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        when = _event_time(event, self._last_time)
        self._last_time = when
        text = (event.get("stdout") or "").replace("\r\n", "\n")
        if text:
            self.tail.extend(text.splitlines())
            if self.verbose:
                self._write(text + "\n")
            else:
                for line in _notices(text, task_result=kind in _TASK_DONE):
                    self._alert(line)

        if kind == "playbook_on_play_start":
            self._end_play(when)
            name = data.get("name") or data.get("pattern") or ""
            self.plays.append(PlayTiming(name, data.get("pattern", ""), when))
            self._set_task(None)
            self._announce(f"PLAY {name}")
        elif kind in _TASK_START:
            self._set_task(data.get("name") or data.get("task") or "", data.get("uuid"))
            self._announce(f"  {_TASK_START[kind]} {self.task}")
        elif kind == "playbook_on_no_hosts_matched":
            self._announce("  no hosts matched")
        elif kind == "runner_on_start" or kind in _TASK_DONE:
            self._host_event(kind, data)
        elif kind == "playbook_on_stats":
            self._end_play(when)
            self.recap = recap_from_stats(data)
            self.report = dict(data.get("artifact_data") or {})
            self.stats_seen = True
        self._show_status()

    def tick(self) -> None:
        """Refresh the status line's clock between events."""
        self._show_status()

    def note(self, line: str) -> None:
        """A line of our own, e.g. about cancelling, kept above the status line."""
        self._alert(line)

    def close(self, now: float | None = None) -> None:
        """End the play still open (canceled or crashed run) at ``now``; clear the status line."""
        end = now if now is not None else self._last_time
        if end is not None:
            self._end_play(end)
        if self.tty:
            self._write("\r\x1b[K")
            self._status_line = ""

    def _host_event(self, kind: str, data: dict) -> None:
        host = data.get("host")
        if not host:
            return
        if self.play is not None:
            self.play.hosts.add(host)
        if kind == "runner_on_start":
            self._started.add(host)
            return
        self._done.add(host)
        if kind in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
            failure = {
                "play": self.play.name if self.play else "",
                "task": self._task_name(data),
                "host": host,
                "msg": failure_message(data.get("res")),
                "unreachable": kind == "runner_on_unreachable",
            }
            self.failures.append(failure)
            if self.verbose:
                return  # ansible's own output shows it
            label = "UNREACHABLE" if failure["unreachable"] else "FAILED"
            msg = failure["msg"].replace("\n", "\n" + " " * 14)
            self._alert(f'  {label} {host}, task "{failure["task"]}": {msg}')

    def _set_task(self, name: str | None, uuid: str | None = None) -> None:
        self.task = name
        self._task_uuid = uuid
        self._started = set()
        self._done = set()

    def _task_name(self, data: dict) -> str:
        """As the task's start showed it ("role : task"), else the bare name."""
        if self.task is not None and data.get("task_uuid", self._task_uuid) == self._task_uuid:
            return self.task
        return data.get("task") or ""

    def _end_play(self, when: float) -> None:
        if self.play is not None and self.play.end is None:
            self.play.end = when

    def _stamp(self) -> str:
        return f"[{self.elapsed():6.1f}s]"

    def _announce(self, line: str) -> None:
        if not self.verbose and not self.tty:
            self._write(f"{self._stamp()} {line}\n")

    def _alert(self, line: str) -> None:
        if self.tty:
            self._write("\r\x1b[K")
            self._status_line = ""
        self._write(f"{self._stamp()} {line}\n")

    def _show_status(self) -> None:
        if not self.tty:
            return
        parts = [self._stamp(), f"PLAY {self.play.name}" if self.play else "starting"]
        if self.task is not None:
            parts.append(f"> TASK {self.task}")
        if self._started or self._done:
            total = max(len(self._started | self._done), len(self.play.hosts) if self.play else 0)
            parts.append(f"({len(self._done)}/{total} hosts)")
        width = self._width or shutil.get_terminal_size().columns
        line = " ".join(parts)[: max(width - 1, 10)]
        if line != self._status_line:
            self._write("\r\x1b[K" + line)
            self._status_line = line

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _event_time(event: dict, fallback: float | None) -> float:
    created = event.get("created")
    if created:
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(created).timestamp()
    return fallback if fallback is not None else time.time()


def recap_from_stats(data: dict) -> dict[str, dict[str, int]]:
    """``{host: {ok, changed, unreachable, failed, skipped, rescued, ignored}}``."""
    counters = {key: data.get(_STATS_KEYS.get(key, key)) or {} for key in RECAP_KEYS}
    hosts = set(data.get("processed") or {}).union(*counters.values())
    return {h: {key: int(counters[key].get(h, 0)) for key in RECAP_KEYS} for h in sorted(hosts)}


def failure_message(res) -> str:
    """The useful part of a failed result: msg, then stderr (command tasks).

    A loop's result says only "One or more items failed"; its failed items say why.
    """
    if not isinstance(res, dict):
        return str(res or "")
    results = res.get("results")
    if isinstance(results, list):
        items = [failure_message(r) for r in results if isinstance(r, dict) and r.get("failed")]
        if items:
            return "\n".join(dict.fromkeys(items))
    parts = []
    for key in ("msg", "censored", "reason", "stderr"):
        value = str(res.get(key) or "").strip()
        if value and value not in parts:
            parts.append(value)
    return "\n".join(parts) or "(no message)"


def exit_code(status: str, rc: int | None, signum: int | None = None) -> int:
    """0 on success; 128+signal when canceled; else ansible-playbook's rc, 1 if unknown."""
    if status == "canceled":
        return 128 + (signum or signal.SIGINT)
    if status == "successful" and rc == 0:
        return 0
    return rc if isinstance(rc, int) and rc > 0 else 1


def render_report(progress: Progress, *, status: str, rc: int | None, run_dir: Path) -> str:
    """Per-play timings, the recap per host, what the playbook reported with set_stats,
    and where the run is kept."""
    lines = []
    if not progress.stats_seen and status == "failed":
        lines.append("ansible-playbook stopped before its recap; the end of its output:")
        lines += [f"  {_ANSI.sub('', line)}" for line in progress.tail]
    if progress.plays:
        width = max(len(p.name) for p in progress.plays)
        lines.append("PLAY TIMES")
        for p in progress.plays:
            n = len(p.hosts)
            lines.append(f"  {p.name:<{width}}  {p.seconds:8.1f}s  {n} host{'' if n == 1 else 's'}")
    if progress.recap:
        width = max(len(h) for h in progress.recap)
        lines.append("RECAP")
        for host, counts in progress.recap.items():
            figures = "  ".join(f"{k}={counts[k]:<3}" for k in RECAP_KEYS)
            lines.append(f"  {host:<{width}}  {figures}".rstrip())
    if progress.report:
        lines.append("REPORT")
        for key, value in progress.report.items():
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            lines.append(f"  {key}: " + text.replace("\n", "\n    "))
    rc_text = "unknown" if rc is None else rc
    lines.append(f"{status} (rc {rc_text}) in {progress.elapsed():.1f}s")
    lines.append(f"run dir: {run_dir}")
    return "\n".join(lines) + "\n"


# -- extra vars ---------------------------------------------------------------


def _extra_var_items(values: list[str], cwd: Path) -> list[tuple[str, object]]:
    """Each ``-e`` as ("file", absolute path) or ("inline", its data), as ansible reads them."""
    from ansible.parsing.splitter import parse_kv

    items: list[tuple[str, object]] = []
    for value in values:
        if not value:
            continue
        if value.startswith("@"):
            path = (cwd / value[1:]).resolve()
            if not path.is_file():
                raise UsageError(f"extra vars file not found: {value[1:]}")
            items.append(("file", path))
        elif value[0] in "/.":
            raise UsageError(f"prefix the extra vars file {value!r} with @")
        elif value[0] in "[{":
            items.append(("inline", value))  # YAML or JSON: written out as it is
        else:
            items.append(("inline", dict(parse_kv(value))))
    return items


def redact_extra_vars(values: list[str]) -> list[str]:
    """The ``-e`` values for the record: files by path, inline values hidden."""
    from ansible.parsing.splitter import parse_kv

    out = []
    for value in values:
        if value.startswith("@") or not value:
            out.append(value)
        elif value[0] in "[{/.":
            out.append(HIDDEN)
        else:
            out.append(" ".join(f"{k}={HIDDEN}" for k in parse_kv(value)))
    return out


class SecretVars:
    """Inline extra vars as files in a private temporary directory, outside the run dir."""

    def __init__(self, items: list[tuple[str, object]]):
        self.items = items
        self.dir: Path | None = None

    def args(self) -> list[str]:
        """``-e`` arguments for ansible-playbook; writes the inline vars' files."""
        args = []
        for i, (kind, data) in enumerate(self.items):
            if kind == "file":
                args += ["-e", f"@{data}"]
                continue
            if _is_empty_mapping(data):
                # It adds nothing, and ansible reads its extra vars again whenever they
                # add up to nothing: after the file is gone.
                continue
            if self.dir is None:
                self.dir = Path(tempfile.mkdtemp(prefix="dozen-extravars-"))
            path = self.dir / f"{i:02d}.yml"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(data if isinstance(data, str) else json.dumps(data))
            args += ["-e", f"@{path}"]
        return args

    def discard(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def _is_empty_mapping(data: object) -> bool:
    if isinstance(data, str):
        try:
            data = yaml.safe_load(data)
        except yaml.YAMLError:
            return False  # e.g. !vault values: ansible parses them itself
    return data == {}


# -- the run ------------------------------------------------------------------


def resolve_run_dir(explicit: Path | None, root: Path, command: str, cwd: Path) -> Path:
    """--run-dir, else $DOZEN_RUN_DIR, else <root>/runs/<UTC timestamp>-<command>."""
    chosen = explicit or os.environ.get("DOZEN_RUN_DIR")
    if chosen:
        path = cwd / Path(chosen).expanduser()
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise UsageError(f"run dir {path} exists and is not empty; choose a fresh one")
        return path
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = root / "runs" / f"{stamp}-{command}"
    path, n = base, 2
    while path.exists():
        path, n = base.with_name(f"{base.name}-{n}"), n + 1
    return path


def ansible_playbook_args(options: Options, inventory: Path | str, vault: Path | None) -> list[str]:
    """Everything but the extra vars, which SecretVars passes as files."""
    args = ["-i", str(inventory)]
    for flag, value in (
        ("--limit", options.limit),
        ("--tags", options.tags),
        ("--skip-tags", options.skip_tags),
        ("--vault-password-file", vault),
    ):
        if value:
            args += [flag, str(value)]
    if options.check:
        args.append("--check")
    if options.diff:
        args.append("--diff")
    if options.verbosity:
        args.append("-" + "v" * options.verbosity)
    return args


def _cfg(root: Path) -> configparser.ConfigParser:
    cfg = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    cfg.read(root / "ansible.cfg")
    return cfg


def effective_strategy(root: Path, chosen: str | None) -> str:
    """The strategy ansible-playbook will use: the option, ANSIBLE_STRATEGY, ansible.cfg, linear."""
    return (
        chosen
        or os.environ.get("ANSIBLE_STRATEGY")
        or _cfg(root).get("defaults", "strategy", fallback="")
        or "linear"
    )


def check_strategy(strategy: str) -> None:
    """Refuse a Mitogen strategy that this interpreter cannot load, before anything runs."""
    mitogen = strategy.rsplit(".", 1)[-1].startswith("mitogen")
    if mitogen and importlib.util.find_spec("ansible_mitogen") is None:
        raise UsageError(
            f"the strategy is {strategy}, but Mitogen is not installed in {sys.prefix}. "
            "Fix: run scripts/bootstrap (it installs the pinned mitogen and links its "
            "plugins as .mitogen), or run without it: --strategy linear "
            "(or ANSIBLE_STRATEGY=linear)"
        )


def runner_envvars(
    root: Path, *, color: bool, strategy: str | None = None, run_dir: Path | None = None
) -> dict[str, str]:
    """Environment that keeps the project's ansible.cfg in charge under ansible-runner.

    DOZEN_RUN_DIR names the run directory to the playbook, for the reports a
    role keeps there (the tempest role's).
    """
    # ansible-playbook from this interpreter's environment, even without an activated venv.
    path = [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    env = {"PATH": os.pathsep.join(filter(None, path))}
    if run_dir is not None:
        env["DOZEN_RUN_DIR"] = str(run_dir)
    if strategy:
        env["ANSIBLE_STRATEGY"] = strategy
    cfg_path = root / "ansible.cfg"
    if cfg_path.is_file():
        env["ANSIBLE_CONFIG"] = str(cfg_path)
        # ansible-runner sets ANSIBLE_HOST_KEY_CHECKING=False unless the environment
        # has it, and the environment beats ansible.cfg: restate the file's choice.
        if "ANSIBLE_HOST_KEY_CHECKING" not in os.environ:
            checking = _cfg(root).get("defaults", "host_key_checking", fallback="True")
            env["ANSIBLE_HOST_KEY_CHECKING"] = checking
    if not color and "ANSIBLE_FORCE_COLOR" not in os.environ:
        env["ANSIBLE_NOCOLOR"] = "True"
    return env


class Interrupt:
    """The cancel callback: on Ctrl-C or SIGTERM, stop ansible-playbook as Ctrl-C would.

    ansible-runner cancels by SIGKILL to ansible-playbook's process group, but
    ansible-core 2.19 starts its workers in sessions of their own: they, and the
    commands they run, would live on. Sent SIGINT, ansible-playbook stops them
    itself. It is killed only on a second signal or after a grace period.
    """

    def __init__(self, progress: Progress):
        self.progress = progress
        self.signals: list[int] = []
        self.pid: int | None = None  # ansible-playbook's, from its events
        self._sent_at: float | None = None

    def __call__(self) -> bool:
        with contextlib.suppress(Exception):
            self.progress.tick()
        if not self.signals:
            return False
        if self.pid is None:
            return True  # no playbook started yet: killing the process group is enough
        if self._sent_at is None:
            self._sent_at = time.monotonic()
            self.progress.note("interrupted: stopping ansible-playbook (once more to kill it)")
            try:
                os.kill(self.pid, signal.SIGINT)
            except OSError:
                return True
            return False
        return len(self.signals) > 1 or time.monotonic() - self._sent_at > _GRACE_SECONDS

    @contextlib.contextmanager
    def catching_signals(self):
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda n, _frame: self.signals.append(n))
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def run_playbook(
    playbook: Path,
    options: Options,
    *,
    command: str,
    argv: list[str] | None = None,
    run_dir: Path | None = None,
    stream: TextIO | None = None,
    tty: bool | None = None,
    project_dir: Path | None = None,
) -> Result:
    """Run ``playbook`` with ansible-runner; returns the exit code and the summary.

    Raises UsageError, before creating anything, for a missing playbook,
    inventory, extra vars file or vault password file, or a used run dir.
    """
    import ansible_runner

    stream = stream or sys.stdout
    if tty is None:
        tty = stream.isatty() and os.environ.get("TERM") != "dumb"
    root = Path(project_dir or project_root()).resolve()
    cwd = Path.cwd()
    playbook = Path(playbook)
    if not playbook.is_file():
        raise UsageError(f"playbook not found: {playbook}")
    inventory = (cwd / options.inventory).resolve()
    if "," in str(options.inventory) and not inventory.exists():
        inventory = options.inventory  # a host list, as ansible takes it: "host1,host2"
    elif not inventory.exists():
        raise UsageError(f"inventory not found: {options.inventory}")
    vault = None
    if options.vault_password_file:
        vault = (cwd / options.vault_password_file).resolve()
        if not vault.is_file():
            raise UsageError(f"vault password file not found: {options.vault_password_file}")
    strategy = effective_strategy(root, options.strategy)
    check_strategy(strategy)
    secrets = SecretVars(_extra_var_items(options.extra_vars, cwd))
    run_dir = resolve_run_dir(run_dir, root, command, cwd).resolve()
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    progress = Progress(stream, tty=tty, verbose=options.verbosity > 0)
    summary = {
        "command": command,
        "argv": argv or [],
        "playbook": str(playbook.resolve()),
        "inventory": str(inventory),
        "run_dir": str(run_dir),
        "strategy": strategy,
        "started": _now(),
    }
    status, rc = "error", None
    interrupt = Interrupt(progress)
    broken_display: list[Exception] = []

    def on_event(event: dict) -> bool:
        if event.get("event") == "playbook_on_start":
            # ansible-playbook has read its extra vars; this event comes from its main process.
            secrets.discard()
            interrupt.pid = event.get("pid")
        try:
            progress.handle(event)
        except Exception as exc:  # a display bug must not abort a deployment
            broken_display.append(exc)
        return True  # keep the event in artifacts/<ident>/job_events

    args = ansible_playbook_args(options, inventory, vault)
    try:
        with interrupt.catching_signals():
            runner = ansible_runner.run(
                private_data_dir=str(run_dir),
                project_dir=str(root),  # cwd of ansible-playbook: the project's ansible.cfg
                playbook=str(playbook.resolve()),
                cmdline=shlex.join(args + secrets.args()),
                envvars=runner_envvars(root, color=tty, strategy=options.strategy, run_dir=run_dir),
                settings={"pexpect_timeout": _POLL_SECONDS},
                # Any value but "jsonfile": ansible-runner would otherwise point the fact
                # cache at the run dir, overriding ansible.cfg's shared cache.
                fact_cache_type="ansible.cfg",
                quiet=True,
                event_handler=on_event,
                cancel_callback=interrupt,
            )
        status, rc = runner.status, runner.rc
        if interrupt.signals:
            status = "canceled"  # also when ansible-playbook stopped itself on SIGINT (rc 99)
        summary["artifacts"] = str(Path(runner.config.artifact_dir).relative_to(run_dir))
    finally:
        secrets.discard()
        progress.close(time.time())
        code = exit_code(status, rc, interrupt.signals[0] if interrupt.signals else None)
        summary.update(
            finished=_now(),
            rc=rc,
            status=status,
            exit_code=code,
            plays=[p.as_dict() for p in progress.plays],
            recap=progress.recap,
            failures=progress.failures,
            report=progress.report,
        )
        (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    if broken_display:
        print(f"dozen: the progress display failed: {broken_display[0]!r}", file=sys.stderr)
    stream.write(render_report(progress, status=status, rc=rc, run_dir=run_dir))
    stream.flush()
    return Result(code, status, rc, run_dir, summary)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
