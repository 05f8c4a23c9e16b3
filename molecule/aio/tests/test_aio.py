"""The all-in-one site end to end: an aarch64 UEFI guest on the ARM64 compute.

Runs after converge and idempotence, in file order: first one test guest's
whole life (verify.yml boots and checks it, the compute host restarts with
its UEFI variable kept, verify.yml deletes it with its NVRAM), which leaves
verify.yml's flavor and network for the rest; then foreign and untagged
images find no host, and killed nova-compute is healed by systemd; an
operator's image of the test image's name is refused and kept; --check on the
converged site changes nothing; a reordered controllers group is refused
before any change; a run killed between a configuration change
and its restart is finished by the next run; changed passwords are taken at
-vvv with no secret in the output or the run directory; and no secret is in
the scenario's logs.
"""

import datetime
import json
import os
import pathlib
import re
import secrets as pysecrets
import signal
import subprocess
import time
import uuid

import pytest
import requests
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
EPHEMERAL = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
VIP = "198.18.0.10"
# The marker line, in a console log or quoted in a task's message.
MARKER = re.compile(r"DOZENCLOUD-GUEST-MARKER [^\"\n]*")
BIN = pathlib.Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
# The runs below are parsed: without the colour molecule forces on its own.
PLAIN = {"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"}


# A host's line in the PLAY RECAP: name, changed, unreachable, failed.
RECAP = re.compile(r"(?m)^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def group_host(group):
    """The one host of an inventory group, by its inventory name."""
    inventory = subprocess.run(
        [BIN / "ansible-inventory", "-i", INVENTORY, "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    hosts = json.loads(inventory.stdout)[group]["hosts"]
    assert len(hosts) == 1, hosts
    return hosts[0]


@pytest.fixture(scope="module")
def compute():
    """The site's one compute, by its inventory name (nova's host name)."""
    return group_host("computes")


@pytest.fixture(scope="module")
def controller():
    return group_host("controllers")


def playbook_command(name, *args, inventory=INVENTORY, log="{name}"):
    """(argv, env) of ansible-playbook as molecule runs it (its ansible.cfg), with
    the site's secrets, plain output and a log in the ephemeral directory."""
    log = EPHEMERAL / f"{log.format(name=name)}-{time.strftime('%H%M%S')}.log"
    argv = [BIN / "ansible-playbook", "-i", inventory, ROOT / "playbooks" / name]
    argv += ["-e", f"@{EPHEMERAL / 'passwords.yml'}", *args]
    env = dict(os.environ, ANSIBLE_LOG_PATH=str(log), ANSIBLE_VERBOSITY="0", **PLAIN)
    return argv, env


def playbook(name, *args, inventory=INVENTORY):
    """A playbook run to its end; returns it and its output."""
    argv, env = playbook_command(name, *args, inventory=inventory)
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    return proc, proc.stdout + proc.stderr


def lab(*args):
    """`dozen lab ...` on the scenario's lab; returns its output."""
    topology = EPHEMERAL / "lab.yml"
    env = dict(os.environ, DOZEN_LAB_TOPOLOGY=str(topology))
    argv = [BIN / "dozen", "lab", *args]
    proc = subprocess.run(argv, env=env, text=True, capture_output=True)
    assert proc.returncode == 0, f"dozen lab {' '.join(args)}: rc {proc.returncode}\n{proc.stderr}"
    return proc.stdout


def on(host, command):
    """A command's output inside a lab host, as root."""
    return lab("exec", host, "--", "sh", "-c", command).strip()


def wait_for(what, check, timeout, every=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"{what}: not after {timeout} s")


def test_the_guest_boots_through_aavmf_survives_a_compute_restart_and_is_deleted(cloud, compute):
    # One guest for the whole lifecycle: under TCG each boot costs minutes.
    # verify.yml, every part but the deletion, which comes after the restart.
    proc, out = playbook("verify.yml", "-e", "verify_delete_server=false")
    assert proc.returncode == 0, out[-6000:]
    # Each part's success message, from the run's own checks.
    assert f"is ACTIVE on {compute} (aarch64)" in out
    assert re.search(r"loader /usr/share/AAVMF/AAVMF_CODE\.fd \(pflash\)", out), out[-4000:]
    server = cloud.compute.find_server("dozen-verify-aarch64", ignore_missing=False)
    first = MARKER.findall(cloud.compute.get_server_console_output(server)["output"])
    assert first and "arch=aarch64" in first[-1] and "firmware=uefi" in first[-1], first
    assert "uefi_var=absent uefi_var_write=ok" in first[-1], first
    # verify.yml boots it with a config drive; the guest read its own id from it.
    assert f"config_drive={server.id}" in first[-1], first
    assert "the guest read its id" in out, out[-4000:]

    lab("stop", compute)
    lab("start", compute)

    first_boot_id = re.search(r"boot_id=(\S+)", first[-1]).group(1)

    # QEMU may start the console log afresh: look for a boot, not a count.
    def second_boot():
        text = cloud.compute.get_server_console_output(server)["output"]
        found = [m for m in MARKER.findall(text) if f"boot_id={first_boot_id}" not in m]
        return found[-1] if found else None

    line = wait_for("the guest's marker after the restart", second_boot, timeout=1200, every=15)
    assert "uefi_var=present" in line, line
    assert f"uefi_var_value={first_boot_id}" in line, (first[-1], line)
    assert f"config_drive={server.id}" in line, line
    server = cloud.compute.get_server(server)
    assert (server.status, server.compute_host) == ("ACTIVE", compute)

    # The rest of verify.yml: the domain after the restart, then the deletion.
    proc, out = playbook("verify.yml", "-t", "verify_libvirt,verify_cleanup")
    assert proc.returncode == 0, out[-6000:]
    assert re.search(r"NVRAM \S+_VARS\.fd are gone", out), out[-4000:]
    assert not list(cloud.compute.servers(name="dozen-verify-aarch64"))


@pytest.mark.parametrize("architecture", ["x86_64", None], ids=["x86_64", "untagged"])
def test_a_foreign_or_untagged_image_finds_no_valid_host(cloud, architecture):
    properties = {"hw_firmware_type": "uefi"}
    if architecture:
        properties["hw_architecture"] = architecture
    name = f"dz-placement-{architecture or 'untagged'}-{uuid.uuid4().hex[:6]}"
    image = cloud.image.create_image(
        name=name,
        data=b"\0" * 1024 * 1024,
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
        **properties,
    )
    flavor = cloud.compute.find_flavor("dozen-verify-tiny", ignore_missing=False)
    network = cloud.network.find_network("dozen-verify-net", ignore_missing=False)
    server = cloud.compute.create_server(
        name=name, image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": network.id}]
    )
    try:
        server = cloud.compute.wait_for_server(
            server, status="ERROR", failures=["ACTIVE"], wait=300
        )
        assert "No valid host" in (server.fault or {}).get("message", ""), server.fault
        assert not server.compute_host
    finally:
        cloud.compute.delete_server(server)
        cloud.compute.wait_for_delete(server, wait=300)
        cloud.image.delete_image(image)


def test_killing_nova_compute_is_healed_by_systemd(compute):
    before = on(compute, "systemctl show -P MainPID nova-compute")
    assert before != "0"
    on(compute, f"kill -KILL {before}")

    def restarted():
        pid = on(compute, "systemctl show -P MainPID nova-compute")
        state = on(compute, "systemctl is-active nova-compute || true")
        return pid not in ("0", before) and state == "active" and pid

    wait_for("nova-compute running again", restarted, timeout=120)
    assert int(on(compute, "systemctl show -P NRestarts nova-compute")) >= 1


def test_an_operators_image_of_the_test_images_name_is_refused_and_kept(cloud):
    """glance_images replaces only images it tagged; another of its name is the operator's."""
    name = "dozencloud-test-aarch64"
    ours = list(cloud.image.images(name=name))
    assert len(ours) == 1 and ours[0].properties.get("dozencloud_managed") == "true", ours
    operator = cloud.image.create_image(
        name=name,
        data=b"operator's own content",
        disk_format="raw",
        container_format="bare",
        allow_duplicates=True,
        hw_architecture="aarch64",
    )
    try:
        proc, out = playbook("verify.yml", "-t", "verify_images")
        assert proc.returncode != 0, out
        assert f"glance holds an image named {name} ({operator.id}" in out, out
        assert "so DozenCloud did not upload it and will not delete it" in out, out
        assert cloud.image.find_image(operator.id) is not None
        assert [i.id for i in cloud.image.images(name=name) if i.id != operator.id] == [ours[0].id]
    finally:
        cloud.image.delete_image(operator, ignore_missing=True)


def recap(out):
    return {host: tuple(map(int, rest)) for host, *rest in RECAP.findall(out)}


def test_check_mode_on_the_converged_site_changes_nothing():
    """--check after converge: no change, no failure (a pending migration would show)."""
    proc, out = playbook("site.yml", "--check")
    assert proc.returncode == 0, out[-6000:]
    hosts = recap(out)
    assert len(hosts) >= 2 and set(hosts.values()) == {(0, 0, 0)}, hosts


def test_check_mode_shows_a_pending_migration_as_a_change(controller):
    """A glance schema behind its code (its alembic rows gone) shows in --check
    as the change a real run would make, not as a skipped command."""
    query = "mariadb -N -e 'SELECT version_num FROM glance.alembic_version'"
    heads = on(controller, query).split()
    assert heads
    on(controller, "mariadb -e 'DELETE FROM glance.alembic_version'")
    try:
        proc, out = playbook("site.yml", "--check", "--limit", f"{controller},localhost")
    finally:
        values = ", ".join(f"('{h}')" for h in heads)
        on(controller, f'mariadb -e "INSERT INTO glance.alembic_version VALUES {values}"')
    assert sorted(on(controller, query).split()) == sorted(heads)
    assert proc.returncode == 0, out[-6000:]
    assert task_result(out, "Report the glance migration a real run would make") == "changed"
    assert "missing from the glance database: glance-manage db_sync would run." in out
    assert all(head in out for head in heads)
    assert task_result(out, "Migrate the glance database") == "skipping"


def started_and_changed(host, unit, path):
    """(when unit's main process started, when path last changed), epoch seconds."""
    start = on(host, f"systemctl show --timestamp=us+utc -p ExecMainStartTimestamp --value {unit}")
    stamp = datetime.datetime.strptime(start, "%a %Y-%m-%d %H:%M:%S.%f UTC")
    mtime = float(on(host, f"date -r {path} +%s.%N"))
    return stamp.replace(tzinfo=datetime.UTC).timestamp(), mtime


def run_killed_after(task, *args):
    """site.yml, killed (SIGKILL, its whole process group) as soon as ``task``
    reports a change; returns its output up to then."""
    argv, env = playbook_command("site.yml", *args, log="killed")
    # Each line as ansible-playbook prints it, to kill at the right one.
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines, in_task, killed = [], False, False
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("TASK ["):
                in_task = f" : {task}]" in line
            elif in_task and line.startswith("changed: ["):
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                break
    finally:
        if proc.poll() is None and not killed:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=120)
    out = "".join(lines)
    assert killed, f"{task} never reported a change:\n{out[-4000:]}"
    return out


def task_result(out, task):
    """The first result line after ``task``'s header in ansible-playbook's output."""
    after = out.split(f" : {task}]", 1)
    assert len(after) == 2, f"no task {task!r} in the output"
    return re.search(r"(?m)^(ok|changed|skipping|fatal): \[", after[1]).group(1)


def test_a_run_killed_before_its_restart_is_finished_by_the_next(controller):
    """A configuration change whose restart a killed run never made is applied next run.

    An operator changes placement's configuration and runs the deploy; it is
    killed just after placement.conf changed, before the handler restarted
    placement-api. The next run finds the file unchanged; stale_services finds
    placement-api older than it and restarts it.
    """
    change = ["-e", json.dumps({"placement_config_overrides": {"DEFAULT": {"debug": True}}})]
    run_killed_after("Configure placement", *change)
    conf = "/etc/placement/placement.conf"
    assert re.search(r"(?m)^debug = [Tt]rue$", on(controller, f"cat {conf}"))
    started, changed = started_and_changed(controller, "placement-api", conf)
    assert started < changed, "the handler ran before the kill: placement-api is not stale"

    proc, out = playbook("site.yml", *change)
    assert proc.returncode == 0, out[-6000:]
    assert task_result(out, "Configure placement") == "ok"
    stale = "Restart placement if an interrupted run left it on its old configuration"
    assert task_result(out, stale) == "changed", out[-6000:]
    started, changed = started_and_changed(controller, "placement-api", conf)
    assert started > changed
    assert on(controller, "systemctl is-active placement-api") == "active"


def test_a_reordered_controllers_group_is_refused_before_any_change(controller):
    """The converged controller holds the site's data. An inventory that lists the
    bare spare host first in controllers would make the spare the primary, and a
    deploy would make the databases again there: the prechecks refuse it, naming
    where the data is. Naming the primary passes them. Neither run changes a thing."""
    source = pathlib.Path(INVENTORY)
    inventory = yaml.safe_load(source.read_text())
    spare = group_host("spare")
    hosts = inventory["controllers"]["hosts"]
    inventory["controllers"]["hosts"] = {spare: inventory["spare"]["hosts"][spare], **hosts}
    del inventory["spare"]
    # Beside molecule's inventory, so its group_vars apply; removed afterwards.
    reordered = source.with_name("reordered-controllers.yml")
    # In the order written: the group's first host is the default primary.
    reordered.write_text(yaml.safe_dump(inventory, sort_keys=False))
    # Two controllers get past the one-controller limit, which has its own test.
    limit = ["-e", json.dumps({"_prechecks_controllers_limit": {"max": 2, "why": "this test"}})]
    try:
        proc, out = playbook("prechecks.yml", *limit, inventory=reordered)
        primary = ["-e", f"dozen_primary_controller={controller}"]
        named, named_out = playbook("prechecks.yml", *limit, *primary, inventory=reordered)
    finally:
        reordered.unlink()
    assert proc.returncode != 0, out[-4000:]
    assert f"{spare} is the primary controller (dozen_primary_controller;" in out, out[-4000:]
    assert (
        f"(databases on {controller}; keystone keys on {controller}; "
        f"ovn databases on {controller}; rabbitmq on {controller})"
    ) in out
    assert f"Fix: set dozen_primary_controller: {controller}" in out
    assert named.returncode == 0, named_out[-4000:]
    for run in (out, named_out):
        hosts = recap(run)
        assert {spare, controller} <= set(hosts), hosts
        assert all(changed == 0 for changed, _, _ in hosts.values()), hosts
    assert on(spare, "test -e /var/lib/mysql && echo yes || echo no") == "no"


# Changed together, as an operator rotating credentials would: the admin's,
# a service user's in keystone, a database account's and a RabbitMQ user's.
ROTATED = (
    "keystone_admin_password",
    "nova_keystone_password",
    "nova_database_password",
    "nova_rabbitmq_password",
    "glance_database_password",
    "neutron_keystone_password",
)


def test_changed_passwords_are_taken_with_no_secret_in_a_vvv_run(
    secrets, admin_connection, controller, compute
):
    """Rotate six passwords in passwords.yml, re-run the deploy at -vvv through
    `dozen`, and find none of the old or new values in its output or run directory;
    then the services authenticate with the new ones and the old ones are refused."""
    path = EPHEMERAL / "passwords.yml"
    text = path.read_text()
    new = {name: pysecrets.token_urlsafe(24) for name in ROTATED}
    for name, value in new.items():
        text, count = re.subn(rf"(?m)^{name}: .*$", f"{name}: '{value}'", text)
        assert count == 1, name
    path.write_text(text)

    run_dir = EPHEMERAL / f"rotation-run-{time.strftime('%H%M%S')}"
    argv = [BIN / "dozen", "deploy", "-i", INVENTORY, "-e", f"@{path}", "-vvv"]
    argv += ["--run-dir", str(run_dir)]
    env = dict(os.environ, **PLAIN)
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    # -vvv, and the admin's change runs keystone's bootstrap, whose password
    # once went through its environment.
    assert "TASK [dozencloud.cloud.keystone : Bootstrap keystone]" in out
    values = {f"old {n}": secrets[n] for n in ROTATED} | {f"new {n}": v for n, v in new.items()}
    values |= {n: v for n, v in secrets.items() if isinstance(v, str) and n not in ROTATED}
    leaks = [name for name, value in values.items() if value in out]
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert len(files) > 100, len(files)
    for file in files:
        data = file.read_bytes()
        leaks += [f"{name} in {file}" for name, value in values.items() if value.encode() in data]
    assert not leaks, leaks

    # Keystone: the admin's new password is taken, the old one refused.
    def token(password):
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "admin",
                            "domain": {"name": "Default"},
                            "password": password,
                        }
                    },
                }
            }
        }
        return requests.post(f"http://{VIP}:5000/v3/auth/tokens", json=body, timeout=30).status_code

    assert token(new["keystone_admin_password"]) == 201
    assert token(secrets["keystone_admin_password"]) == 401
    # RabbitMQ takes the new password and refuses the old.
    check = "rabbitmqctl -q authenticate_user nova '{}' >/dev/null 2>&1 && echo yes || echo no"
    assert on(controller, check.format(new["nova_rabbitmq_password"])) == "yes"
    assert on(controller, check.format(secrets["nova_rabbitmq_password"])) == "no"
    # MariaDB likewise, through the VIP as the services connect.
    login = f"mariadb -h {VIP} -u nova -p'{{}}' -e 'SELECT 1' nova >/dev/null 2>&1"
    login += " && echo yes || echo no"
    assert on(controller, login.format(new["nova_database_password"])) == "yes"
    assert on(controller, login.format(secrets["nova_database_password"])) == "no"

    # The services still authenticate: nova-conductor and the compute report in
    # after the run (their database and RabbitMQ), through keystone's new admin.
    since = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    admin = admin_connection(new["keystone_admin_password"])

    def all_up():
        services = list(admin.compute.services())
        fresh = [
            s
            for s in services
            if s.state == "up" and datetime.datetime.fromisoformat(s.updated_at.rstrip("Z")) > since
        ]
        return len(fresh) == len(services) >= 3 and services

    services = wait_for("every nova service reporting after the rotation", all_up, timeout=180)
    assert compute in {s.host for s in services}
    # Each raises on a refused or failed call: glance reads its database, and
    # neutron validates the token with its keystone user.
    admin.image.get("/images").raise_for_status()
    admin.network.get("/networks").raise_for_status()
    admin.close()


def test_no_secret_in_the_scenarios_logs_or_state(secrets):
    """Every secret of passwords.yml stays out of the logs and files molecule keeps.

    The converge, idempotence and verify.yml logs are in the ephemeral
    directory; the operator's credentials hold the admin password by design.
    """
    values = {name: value for name, value in secrets.items() if isinstance(value, str)}
    # And the values a test above rotated them to.
    current = yaml.safe_load((EPHEMERAL / "passwords.yml").read_text())
    values |= {
        f"{n} (now)": v for n, v in current.items() if isinstance(v, str) and v != secrets.get(n)
    }
    assert values
    allowed = {EPHEMERAL / "passwords.yml"}
    allowed |= set((EPHEMERAL / "credentials").rglob("*"))
    leaks = []
    for path in sorted(p for p in EPHEMERAL.rglob("*") if p.is_file() and p not in allowed):
        data = path.read_bytes()
        leaks += [f"{name} in {path}" for name, value in values.items() if value.encode() in data]
    assert not leaks, leaks
