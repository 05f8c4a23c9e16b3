"""The all-in-one site end to end: an aarch64 UEFI guest on the ARM64 compute.

Runs after converge and idempotence, in file order: first one test guest's
whole life (verify.yml boots and checks it, the compute host restarts with
its UEFI variable kept, verify.yml deletes it with its NVRAM), which leaves
verify.yml's flavor and network for the rest; then foreign and untagged
images find no host, and killed nova-compute is healed by systemd; an
operator's image of the test image's name is refused and kept; and no secret
is in the scenario's logs.
"""

import json
import os
import pathlib
import re
import subprocess
import time
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
EPHEMERAL = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
VIP = "198.18.0.10"
# The marker line, in a console log or quoted in a task's message.
MARKER = re.compile(r"DOZENCLOUD-GUEST-MARKER [^\"\n]*")
BIN = pathlib.Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"


@pytest.fixture(scope="module")
def compute():
    """The site's one compute, by its inventory name (nova's host name)."""
    inventory = subprocess.run(
        [BIN / "ansible-inventory", "-i", INVENTORY, "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    hosts = json.loads(inventory.stdout)["computes"]["hosts"]
    assert len(hosts) == 1, hosts
    return hosts[0]


def playbook(name, *args):
    """ansible-playbook as molecule runs it (its ansible.cfg and inventory)."""
    log = EPHEMERAL / f"{name}-{time.strftime('%H%M%S')}.log"
    argv = [BIN / "ansible-playbook", "-i", INVENTORY, ROOT / "playbooks" / name]
    argv += ["-e", f"@{EPHEMERAL / 'passwords.yml'}", *args]
    env = dict(os.environ, ANSIBLE_LOG_PATH=str(log), ANSIBLE_VERBOSITY="0")
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


def test_no_secret_in_the_scenarios_logs_or_state(secrets):
    """Every secret of passwords.yml stays out of the logs and files molecule keeps.

    The converge, idempotence and verify.yml logs are in the ephemeral
    directory; the operator's credentials hold the admin password by design.
    """
    values = {name: value for name, value in secrets.items() if isinstance(value, str)}
    assert values
    allowed = {EPHEMERAL / "passwords.yml"}
    allowed |= set((EPHEMERAL / "credentials").rglob("*"))
    leaks = []
    for path in sorted(p for p in EPHEMERAL.rglob("*") if p.is_file() and p not in allowed):
        data = path.read_bytes()
        leaks += [f"{name} in {path}" for name, value in values.items() if value.encode() in data]
    assert not leaks, leaks
