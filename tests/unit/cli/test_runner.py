"""`dozen deploy|prechecks|verify` and their engine, on throwaway playbooks run on localhost.

The real runs go through ansible-runner and ansible-playbook with the project's
ansible.cfg, about a second each. Nothing here touches the lab.
"""

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dozencloud import cli, runner

SECRET = "S3cr3tValue"
STAMP = r"\[\s*\d+\.\ds\]"

TWO_PLAYS = """\
- name: Greet the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: hello
    - name: Fail and carry on
      ansible.builtin.fail:
        msg: ignored on purpose
      ignore_errors: true

- name: Greet everyone
  hosts: all
  gather_facts: false
  tasks:
    - name: Say goodbye
      ansible.builtin.debug:
        msg: goodbye
"""

REPORTING = """\
- name: Report
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Say what was seen
      ansible.builtin.set_stats:
        data:
          marker: "DOZENCLOUD-GUEST-MARKER arch=aarch64 page_size=4096"
          server: {name: dozen-verify-aarch64, host: cmp01}
        per_host: false
"""

FAILING = """\
- name: Fail for real
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Fail on purpose
      ansible.builtin.fail:
        msg: boom on purpose
    - name: Never run
      ansible.builtin.debug:
        msg: unreachable code
"""

# Proves the secret arrived without printing it: compares its hash.
USES_SECRET = f"""\
- name: Use a secret
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check the secret arrived
      ansible.builtin.assert:
        that: (secretvar | hash('sha256')) == '{hashlib.sha256(SECRET.encode()).hexdigest()}'
        quiet: true
"""


@pytest.fixture
def inventory(tmp_path):
    path = tmp_path / "hosts.ini"
    path.write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    )
    return path


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A project root (DOZEN_ROOT) whose playbooks/ the test fills."""
    root = tmp_path / "site"
    (root / "playbooks").mkdir(parents=True)
    monkeypatch.setenv("DOZEN_ROOT", str(root))
    monkeypatch.delenv("DOZEN_RUN_DIR", raising=False)
    # This root has no ansible.cfg and no Mitogen: Ansible's own strategy,
    # whatever the caller's environment asks for (benchmarks/test_command.py
    # sets ANSIBLE_STRATEGY=mitogen_linear).
    monkeypatch.delenv("ANSIBLE_STRATEGY", raising=False)
    return root


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


def run(playbook, inventory, run_dir, **options):
    out = io.StringIO()
    result = runner.run_playbook(
        playbook,
        runner.Options(inventory=inventory, **options),
        command="test",
        run_dir=run_dir,
        stream=out,
        tty=False,
    )
    return result, out.getvalue()


def job_events(run_dir):
    files = list(run_dir.glob("artifacts/*/job_events/*.json"))
    events = [json.loads(f.read_text()) for f in files]
    return sorted(events, key=lambda e: e["counter"])


def test_run_keeps_events_and_times_each_play(tmp_path, inventory):
    playbook = write(tmp_path / "two_plays.yml", TWO_PLAYS)
    result, out = run(playbook, inventory, tmp_path / "run")

    assert (result.exit_code, result.rc, result.status) == (0, 0, "successful"), out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["command"] == "test"
    assert summary["inventory"] == str(inventory)
    assert (summary["rc"], summary["status"], summary["exit_code"]) == (0, "successful", 0)
    assert summary["started"] <= summary["finished"]
    assert [p["name"] for p in summary["plays"]] == ["Greet the controller", "Greet everyone"]
    assert all(p["hosts"] == ["localhost"] and p["seconds"] >= 0 for p in summary["plays"])
    assert summary["recap"] == {
        "localhost": {
            "ok": 3,
            "changed": 0,
            "unreachable": 0,
            "failed": 0,
            "skipped": 0,
            "rescued": 0,
            "ignored": 1,
        }
    }
    assert summary["failures"] == []  # an ignored failure is not one

    events = job_events(tmp_path / "run")
    assert {"playbook_on_play_start", "playbook_on_task_start", "playbook_on_stats"} <= {
        e["event"] for e in events
    }
    assert (tmp_path / "run" / summary["artifacts"] / "stdout").is_file()

    # The condensed view: a line per play and task, not ansible's output.
    for line in ("PLAY Greet the controller", "  TASK Say hello", "PLAY Greet everyone"):
        assert re.search(rf"^{STAMP} {line}$", out, re.M), out
    assert "ok: [localhost]" not in out
    assert re.search(r"^  Greet the controller\s+\d+\.\ds  1 host$", out, re.M), out
    assert re.search(r"^  localhost\s+ok=3\s+changed=0\s+unreachable=0\s+failed=0", out, re.M)
    assert f"run dir: {tmp_path / 'run'}" in out

    # The recorded events replay to the same timings.
    replay = runner.Progress(io.StringIO())
    for event in events:
        replay.handle(event)
    assert [p.as_dict() for p in replay.plays] == summary["plays"]


def test_failed_run_returns_ansible_rc_and_shows_the_failure(tmp_path, inventory):
    result, out = run(write(tmp_path / "failing.yml", FAILING), inventory, tmp_path / "run")

    assert (result.exit_code, result.rc, result.status) == (2, 2, "failed"), out
    assert re.search(
        rf'^{STAMP}   FAILED localhost, task "Fail on purpose": boom on purpose$', out, re.M
    ), out
    assert "Never run" not in out
    summary = result.summary
    assert summary["recap"]["localhost"]["failed"] == 1
    assert summary["failures"] == [
        {
            "play": "Fail for real",
            "task": "Fail on purpose",
            "host": "localhost",
            "msg": "boom on purpose",
            "unreachable": False,
        }
    ]


def test_inline_extra_vars_stay_out_of_the_run_dir(tmp_path, site, inventory, capsys):
    write(site / "playbooks" / "site.yml", USES_SECRET)
    run_dir = tmp_path / "run"
    argv = ["deploy", "-i", str(inventory), "--run-dir", str(run_dir)]
    code = cli.main([*argv, "-e", f"secretvar={SECRET} other=1", "-e", f'{{"more": "{SECRET}"}}'])

    out = capsys.readouterr().out
    assert code == 0, out
    assert SECRET not in out
    leaks = [p for p in run_dir.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaks == []
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["argv"][-4:] == ["-e", "secretvar=<hidden> other=<hidden>", "-e", "<hidden>"]

    # ansible-playbook got them as files outside the run dir, deleted by now.
    (command,) = run_dir.glob("artifacts/*/command")
    args = json.loads(command.read_text())["command"]
    files = [Path(a[1:]) for a in args if a.startswith("@")]
    assert len(files) == 2
    assert not any(f.exists() or f.is_relative_to(run_dir) for f in files)


REPORTS_IN_RUN_DIR = """\
- name: Keep a report in the run directory
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write it where DOZEN_RUN_DIR says
      ansible.builtin.copy:
        dest: "{{ lookup('env', 'DOZEN_RUN_DIR') }}/report.txt"
        content: a report
        mode: "0600"
"""


def test_the_playbook_knows_its_run_dir(tmp_path, site, inventory, capsys):
    """The tempest role keeps its report in the run dir it finds in DOZEN_RUN_DIR."""
    write(site / "playbooks" / "tempest.yml", REPORTS_IN_RUN_DIR)
    run_dir = tmp_path / "run"
    code = cli.main(["tempest", "-i", str(inventory), "--run-dir", str(run_dir)])
    assert code == 0, capsys.readouterr().out
    assert (run_dir / "report.txt").read_text() == "a report"
    assert json.loads((run_dir / "summary.json").read_text())["command"] == "tempest"


@pytest.mark.parametrize("strategy", ["linear", "mitogen_linear"])
def test_ctrl_c_stops_ansible_and_its_commands(tmp_path, inventory, strategy):
    """Ctrl-C stops the run as it stops ansible-playbook, under either strategy.

    Under linear the task's command dies with its worker. Under Mitogen the
    host's Python stops but a command it started runs to its end, as a
    command started over SSH does (docs/execution.md): it is not waited for.
    """
    marker = {"linear": "37.25", "mitogen_linear": "37.75"}[strategy]  # a sleep no one else runs
    playbook = write(
        tmp_path / "slow.yml",
        f"""\
        - name: Take a while
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Sleep
              ansible.builtin.command: sleep {marker}
              changed_when: false
        """,
    )
    code = (
        "import sys; from pathlib import Path; from dozencloud import runner; "
        "sys.exit(runner.run_playbook(Path(sys.argv[1]), runner.Options(Path(sys.argv[2]), "
        "strategy=sys.argv[4]), command='test', run_dir=Path(sys.argv[3])).exit_code)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, playbook, inventory, tmp_path / "run", strategy],
        stdout=subprocess.PIPE,
        text=True,
    )
    out = ""
    while "TASK Sleep" not in out:
        line = proc.stdout.readline()
        assert line, out
        out += line
    assert wait_for(lambda: sleeping(marker))
    proc.send_signal(signal.SIGINT)
    out += proc.communicate(timeout=30)[0]

    assert proc.returncode == 130, out
    assert "interrupted: stopping ansible-playbook" in out
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["status"] == "canceled"
    if strategy == "linear":
        assert wait_for(lambda: not sleeping(marker)), "the task's command outlived the run"
    else:
        assert sleeping(marker), "Mitogen's command stopped: update docs/execution.md"
        subprocess.run(["pkill", "-f", f"^sleep {marker}$"], check=False)


def sleeping(marker):
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes() == f"sleep\0{marker}\0".encode():
                return True
        except OSError:
            pass
    return False


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "-i", "{inventory}"], "playbook not found: {site}/playbooks/verify.yml"),
        (["prechecks", "-i", "no/such/inventory"], "inventory not found: no/such/inventory"),
        (["prechecks", "-i", "{inventory}", "-e", "@no.yml"], "extra vars file not found: no.yml"),
        (
            ["prechecks", "-i", "{inventory}", "--vault-password-file", "no"],
            "vault password file not found: no",
        ),
        (["prechecks", "-i", "{inventory}", "--run-dir", "{site}"], "run dir {site} exists"),
    ],
    ids=["no-playbook", "no-inventory", "no-extra-vars-file", "no-vault-file", "used-run-dir"],
)
def test_usage_errors_exit_2_before_running(argv, message, site, inventory, capsys):
    (site / "playbooks" / "prechecks.yml").write_text("[]\n")
    fill = {"inventory": inventory, "site": site}
    code = cli.main([a.format(**fill) for a in argv])

    assert code == 2
    assert f"dozen {argv[0]}: {message.format(**fill)}" in capsys.readouterr().err
    assert not (site / "runs").exists()


def test_missing_inventory_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["deploy"])
    assert exc.value.code == 2
    assert "--inventory" in capsys.readouterr().err


# -- the progress view, on synthetic events -----------------------------------

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def event(kind, at, **data):
    return {
        "event": kind,
        "created": (T0 + timedelta(seconds=at)).isoformat(),
        "stdout": "",
        "event_data": data,
    }


SYNTHETIC = [
    event("playbook_on_start", 0),
    event("playbook_on_play_start", 0.5, name="Check the site", pattern="localhost"),
    event("playbook_on_task_start", 0.6, name="Check the inventory"),
    event("runner_on_start", 0.6, host="localhost"),
    event("runner_on_ok", 1.0, host="localhost", task="Check the inventory", res={}),
    event("playbook_on_play_start", 3.0, name="Prepare every host", pattern="all"),
    event("playbook_on_task_start", 3.0, name="Install packages"),
    event("runner_on_start", 3.1, host="ctl1"),
    event("runner_on_start", 3.1, host="cmp1"),
    event("runner_on_ok", 5.0, host="ctl1", task="Install packages", res={"changed": True}),
    event(
        "runner_on_unreachable",
        6.0,
        host="cmp1",
        task="Install packages",
        res={"msg": "ssh: connect to host 10.0.0.2 port 22: Connection refused"},
    ),
    event("playbook_on_handler_task_start", 6.5, name="Restart chrony"),
    event(
        "playbook_on_stats",
        7.25,
        ok={"localhost": 1, "ctl1": 1},
        changed={"ctl1": 1},
        dark={"cmp1": 1},
        failures={},
        processed={"localhost": 1, "ctl1": 1, "cmp1": 1},
    ),
]


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_times_plays_and_counts_the_recap():
    out, clock = io.StringIO(), Clock()
    progress = runner.Progress(out, clock=clock)
    for e in SYNTHETIC:
        clock.now += 0.5
        progress.handle(e)
    progress.close()

    assert [p.as_dict() for p in progress.plays] == [
        {"name": "Check the site", "pattern": "localhost", "seconds": 2.5, "hosts": ["localhost"]},
        {
            "name": "Prepare every host",
            "pattern": "all",
            "seconds": 4.25,
            "hosts": ["cmp1", "ctl1"],
        },
    ]
    assert progress.recap["ctl1"] == dict.fromkeys(runner.RECAP_KEYS, 0) | {"ok": 1, "changed": 1}
    assert progress.recap["cmp1"]["unreachable"] == 1
    assert out.getvalue().splitlines() == [
        "[   1.0s] PLAY Check the site",
        "[   1.5s]   TASK Check the inventory",
        "[   3.0s] PLAY Prepare every host",
        "[   3.5s]   TASK Install packages",
        '[   5.5s]   UNREACHABLE cmp1, task "Install packages": '
        "ssh: connect to host 10.0.0.2 port 22: Connection refused",
        "[   6.0s]   HANDLER Restart chrony",
    ]

    report = runner.render_report(progress, status="failed", rc=4, run_dir=Path("/runs/x"))
    assert report.splitlines()[:3] == [
        "PLAY TIMES",
        "  Check the site           2.5s  1 host",
        "  Prepare every host       4.2s  2 hosts",
    ]
    assert "  cmp1       ok=0    changed=0    unreachable=1" in report
    assert report.endswith("failed (rc 4) in 6.5s\nrun dir: /runs/x\n")


def test_progress_on_a_tty_keeps_one_status_line():
    out, clock = io.StringIO(), Clock()
    progress = runner.Progress(out, tty=True, clock=clock, width=200)
    for e in SYNTHETIC[:10]:
        progress.handle(e)
    clock.now += 12.5
    progress.tick()

    text = out.getvalue()
    assert "\n" not in text  # no failure yet: everything happened on the status line
    assert text.rsplit("\r\x1b[K", 1)[-1] == (
        "[  12.5s] PLAY Prepare every host > TASK Install packages (1/2 hosts)"
    )
    progress.handle(SYNTHETIC[10])
    lines = out.getvalue().split("\n")
    assert lines[-2].endswith(  # the status line cleared, the failure printed for good
        '\r\x1b[K[  12.5s]   UNREACHABLE cmp1, task "Install packages": '
        "ssh: connect to host 10.0.0.2 port 22: Connection refused"
    )
    assert lines[-1] == (  # and the status line back below it
        "\r\x1b[K[  12.5s] PLAY Prepare every host > TASK Install packages (2/2 hosts)"
    )


def test_progress_verbose_prints_ansible_output_only():
    out = io.StringIO()
    progress = runner.Progress(out, verbose=True, tty=True)
    progress.handle(
        event("playbook_on_play_start", 0, name="P", pattern="all")
        | {"stdout": "\r\nPLAY [P] ****"}
    )
    progress.handle(
        event("runner_on_failed", 1, host="h", task="T", res={"msg": "no"})
        | {"stdout": 'fatal: [h]: FAILED! => {"msg": "no"}'}
    )
    assert out.getvalue() == '\nPLAY [P] ****\nfatal: [h]: FAILED! => {"msg": "no"}\n'
    assert progress.failures[0]["msg"] == "no"


def test_progress_shows_ansibles_warnings_and_errors_without_verbose():
    out, clock = io.StringIO(), Clock()
    progress = runner.Progress(out, clock=clock)
    progress.handle(
        {
            "event": "verbose",
            "stdout": "[WARNING]: Deprecation warnings can be disabled by setting x\n"
            "\x1b[0;31m[ERROR]: YAML parsing failed: found duplicate key\x1b[0m\n"
            "Origin: /site/group_vars/all/main.yml:3:1\n"
            "\n"
            "3 dozen_region_name: Two\n",
        }
    )
    progress.handle(
        event("runner_on_ok", 1, host="localhost", task="Check", res={})
        | {"stdout": "[WARNING]: site: dozen_x is set, but no DozenCloud role reads it"}
    )
    progress.handle(
        event("runner_on_failed", 2, host="localhost", task="T", res={"msg": "no"})
        | {"stdout": "[ERROR]: Task failed: no"}
    )
    lines = [line.split("] ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == [
        "[ERROR]: YAML parsing failed: found duplicate key",
        "Origin: /site/group_vars/all/main.yml:3:1",
        "[WARNING]: site: dozen_x is set, but no DozenCloud role reads it",
        '  FAILED localhost, task "T": no',
    ]


@pytest.mark.parametrize(
    ("status", "rc", "signum", "code"),
    [
        ("successful", 0, None, 0),
        ("failed", 2, None, 2),
        ("failed", 4, None, 4),
        ("failed", None, None, 1),
        ("failed", 0, None, 1),
        ("canceled", 99, signal.SIGINT, 130),
        ("canceled", 254, signal.SIGTERM, 143),
    ],
)
def test_exit_code(status, rc, signum, code):
    assert runner.exit_code(status, rc, signum) == code


def test_failure_message_prefers_msg_then_stderr():
    res = {"msg": "non-zero return code", "stderr": "ls: cannot access 'x'\n", "rc": 2}
    assert runner.failure_message(res) == "non-zero return code\nls: cannot access 'x'"
    assert runner.failure_message({"censored": "hidden (no_log)"}) == "hidden (no_log)"
    loop = {
        "msg": "One or more items failed",
        "results": [
            {"failed": True, "msg": "site: keystone_admin_password is not defined"},
            {"failed": False, "msg": "All assertions passed"},
            {"failed": True, "msg": "site: nova_keystone_password is not defined"},
        ],
    }
    assert runner.failure_message(loop) == (
        "site: keystone_admin_password is not defined\nsite: nova_keystone_password is not defined"
    )


def test_secret_vars_files_are_private_and_discarded(tmp_path):
    items = runner._extra_var_items(["a=1 b='x y'", '{"c": [1]}', "{}", "@" + __file__], tmp_path)
    secrets = runner.SecretVars(items)
    args = secrets.args()

    files = [Path(a[1:]) for a in args[1::2]]
    assert args[0::2] == ["-e"] * 3  # the empty mapping adds nothing
    assert json.loads(files[0].read_text()) == {"a": "1", "b": "x y"}
    assert files[1].read_text() == '{"c": [1]}'
    assert files[2] == Path(__file__).resolve()
    assert {oct(f.stat().st_mode & 0o777) for f in files[:2]} == {"0o600"}
    secrets.discard()
    assert not any(f.exists() for f in files[:2])
    assert runner.redact_extra_vars(["a=1 b=2", "{}", "@f.yml"]) == [
        "a=<hidden> b=<hidden>",
        "<hidden>",
        "@f.yml",
    ]


def test_runner_env_keeps_host_key_checking_from_ansible_cfg(tmp_path, monkeypatch):
    monkeypatch.delenv("ANSIBLE_HOST_KEY_CHECKING", raising=False)
    (tmp_path / "ansible.cfg").write_text("[defaults]\nhost_key_checking = True ; strict\n")
    env = runner.runner_envvars(tmp_path, color=False)
    assert env["ANSIBLE_CONFIG"] == str(tmp_path / "ansible.cfg")
    assert env["ANSIBLE_HOST_KEY_CHECKING"] == "True"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_default_run_dir_is_timestamped_under_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("DOZEN_RUN_DIR", raising=False)
    first = runner.resolve_run_dir(None, tmp_path, "deploy", tmp_path)
    assert first.parent == tmp_path / "runs"
    assert re.fullmatch(r"\d{8}T\d{6}Z-deploy", first.name)
    first.mkdir(parents=True)
    assert runner.resolve_run_dir(None, tmp_path, "deploy", tmp_path) != first
    monkeypatch.setenv("DOZEN_RUN_DIR", "elsewhere")
    assert runner.resolve_run_dir(None, tmp_path, "deploy", tmp_path) == tmp_path / "elsewhere"


def test_run_prints_and_keeps_the_playbooks_report(tmp_path, inventory):
    playbook = write(tmp_path / "report.yml", REPORTING)
    result, out = run(playbook, inventory, tmp_path / "run")

    assert result.exit_code == 0, out
    report = {
        "marker": "DOZENCLOUD-GUEST-MARKER arch=aarch64 page_size=4096",
        "server": {"name": "dozen-verify-aarch64", "host": "cmp01"},
    }
    assert result.summary["report"] == report
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["report"] == report
    lines = out.splitlines()
    at = lines.index("REPORT")
    assert lines[at + 1 : at + 3] == [
        "  marker: DOZENCLOUD-GUEST-MARKER arch=aarch64 page_size=4096",
        '  server: {"host": "cmp01", "name": "dozen-verify-aarch64"}',
    ]


def test_a_run_without_a_report_prints_none():
    progress = runner.Progress(io.StringIO(), clock=Clock())
    for e in SYNTHETIC:
        progress.handle(e)
    assert progress.report == {}
    assert "REPORT" not in runner.render_report(
        progress, status="successful", rc=0, run_dir=Path("/r")
    )


# -- the execution strategy ----------------------------------------------------


def test_strategy_comes_from_the_option_then_the_environment_then_ansible_cfg(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("ANSIBLE_STRATEGY", raising=False)
    assert runner.effective_strategy(tmp_path, None) == "linear"
    (tmp_path / "ansible.cfg").write_text("[defaults]\nstrategy = mitogen_linear ; fast\n")
    assert runner.effective_strategy(tmp_path, None) == "mitogen_linear"
    monkeypatch.setenv("ANSIBLE_STRATEGY", "free")
    assert runner.effective_strategy(tmp_path, None) == "free"
    assert runner.effective_strategy(tmp_path, "linear") == "linear"
    env = runner.runner_envvars(tmp_path, color=False, strategy="linear")
    assert env["ANSIBLE_STRATEGY"] == "linear"
    assert "ANSIBLE_STRATEGY" not in runner.runner_envvars(tmp_path, color=False)


def test_a_mitogen_strategy_without_mitogen_is_refused_before_running(
    site, inventory, monkeypatch, capsys
):
    (site / "playbooks" / "deploy.yml").write_text("[]\n")
    (site / "playbooks" / "site.yml").write_text("[]\n")
    real = runner.importlib.util.find_spec
    monkeypatch.setattr(
        runner.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ansible_mitogen" else real(name, *a),
    )
    code = cli.main(["deploy", "-i", str(inventory), "--strategy", "mitogen_linear"])

    assert code == 2
    err = capsys.readouterr().err
    assert "the strategy is mitogen_linear, but Mitogen is not installed" in err
    assert "--strategy linear" in err
    assert not (site / "runs").exists()


@pytest.mark.parametrize("strategy", ["mitogen_linear", "linear"])
def test_the_project_runs_under_its_strategy_and_records_it(
    tmp_path, inventory, strategy, monkeypatch
):
    """With the project's own ansible.cfg: Mitogen by default, Ansible's linear on request."""
    monkeypatch.delenv("ANSIBLE_STRATEGY", raising=False)
    playbook = write(
        tmp_path / "strategy.yml",
        """\
        - name: Show the strategy
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Name the process that ran the module
              ansible.builtin.shell: "tr '\\\\0' ' ' < /proc/$PPID/cmdline"
              changed_when: false
              register: parent
            - name: Report it
              ansible.builtin.set_stats:
                data: {parent: "{{ parent.stdout }}"}
                per_host: false
        """,
    )
    out = io.StringIO()
    result = runner.run_playbook(
        playbook,
        runner.Options(
            inventory=inventory, strategy=None if strategy == "mitogen_linear" else strategy
        ),
        command="test",
        run_dir=tmp_path / "run",
        stream=out,
        tty=False,
        project_dir=Path(__file__).resolve().parents[3],
    )
    assert result.exit_code == 0, out.getvalue()
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["strategy"] == strategy
    # Mitogen runs modules in its own interpreter on the host, which names itself.
    assert ("(mitogen:" in summary["report"]["parent"]) == (strategy == "mitogen_linear")
