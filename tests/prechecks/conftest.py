"""Run playbooks/prechecks.yml against test inventories, all cases at once.

Each ansible-playbook run is a separate process. A session fixture starts all
runs of its test file in a thread pool as soon as the first test asks, so a
file costs about (runs / cores) runs of wall time.

Sites that must pass the secrets check (the good site, the fact cases and the
secret cases) run from a copy that `dozen passwords` has given its passwords
file; each run then knows those values, which its output must never show.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from dozencloud import passwords

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PLAYBOOK = ROOT / "playbooks" / "prechecks.yml"
RECORDED_PLAYBOOK = HERE / "recorded_facts.yml"
INVENTORY_CASES = sorted(p.name for p in (HERE / "inventories").iterdir() if p.is_dir())
FACT_CASES = sorted(p.name for p in (HERE / "fact_cases").iterdir() if p.is_dir())
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
# Every run refuses variables no role reads, as the test command's sites do;
# a run whose args set prechecks_strict_variables itself overrides it (the
# last -e wins), to see the warning of a lenient site.
STRICT = ("-e", "prechecks_strict_variables=true")
RECAP_LINE = re.compile(
    r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)

# The plugins import as the collection dozencloud.cloud (scripts/bootstrap links it).
COLLECTIONS = ROOT / ".collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


# Inventory cases run from a copy with generated passwords, then these changes:
# secrets removed from the file, values replaced in it, or set in host_vars.
PASSWORD_CASES = {
    "secret-missing": {"remove": ["nova_database_password"]},
    "secret-too-short": {"set": {"keystone_admin_password": "Sh0rtLeakCheck"}},
    "secret-set-per-host": {
        "host_vars": {"ctl01": {"keystone_admin_password": "HostOnlyLeakCheck123"}}
    },
    "secret-breaks-url": {"set": {"nova_rabbitmq_password": "UrlLeak@Check:42/x%2F#frag"}},
}


def site_with_passwords(source, dest, changes=None):
    """Copy the site ``source`` to ``dest`` and run `dozen passwords` on it.

    Returns the secret values the copy holds, generated or set by ``changes``.
    """
    changes = changes or {}
    shutil.copytree(source, dest)
    target = dest / passwords.PASSWORDS_FILE
    passwords.update(target, passwords.load_specs())
    data = yaml.safe_load(target.read_text())
    for name in changes.get("remove", []):
        del data[name]
    data.update(changes.get("set", {}))
    target.write_text(passwords.render(data))
    values = list(data.values())
    for host, host_vars in changes.get("host_vars", {}).items():
        (dest / "host_vars").mkdir(exist_ok=True)
        (dest / "host_vars" / f"{host}.yml").write_text("---\n" + yaml.safe_dump(host_vars))
        values.extend(host_vars.values())
    return values


def expected_fragments(case_dir):
    lines = (case_dir / "expected.txt").read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


# ansible-core 2.19's deprecation of third-party strategy plugins, which every
# run under Mitogen (ansible.cfg's strategy) prints once (docs/execution.md).
# It says nothing about the site.
STRATEGY_DEPRECATION = re.compile(
    r"^\[WARNING\]: Deprecation warnings can be disabled by setting .deprecation_warnings=False. "
    r"in ansible.cfg.$"
)


@dataclass
class Run:
    args: list
    returncode: int
    output: str
    secrets: tuple = ()  # values the site holds, never to be shown

    def leaked(self):
        """The names of the site's secret values that the output shows."""
        return [f"secret #{i}" for i, value in enumerate(self.secrets) if value in self.output]

    @property
    def recap(self):
        """``{host: {ok, changed, unreachable, failed}}`` from PLAY RECAP."""
        return {
            m[0]: dict(
                zip(("ok", "changed", "unreachable", "failed"), map(int, m[1:]), strict=True)
            )
            for m in RECAP_LINE.findall(self.output)
        }

    @property
    def warnings(self):
        """Ansible's warning lines, but the strategy deprecation's."""
        return [
            line
            for line in self.output.splitlines()
            if "[WARNING]" in line and not STRATEGY_DEPRECATION.match(line)
        ]

    def describe(self):
        return f"$ {' '.join(self.args)}\nrc={self.returncode}\n{self.output[-6000:]}"


def _load_fixture_readers():
    """The fixture-backed host reader of the plugin unit tests."""
    path = ROOT / "tests" / "unit" / "plugins" / "conftest.py"
    spec = importlib.util.spec_from_file_location("dozen_unit_fixture_readers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record_facts(case_dir, out_dir):
    """Write ``<host>.json`` dozen_host facts for each host of a fact case.

    facts.yml names each host's fixture and firmware set, and what fixtures do
    not record: a KVM probe result (``kvm``) or another ``uname -m``
    (``machine``, for an architecture DozenCloud does not know). ``data``
    names a service_data result recorded on a lab controller
    (tests/unit/fixtures/service_data), written as ``<host>.data.json``.
    """
    from ansible_collections.dozencloud.cloud.plugins.module_utils.host import gather_host_facts

    readers = _load_fixture_readers()

    class CaseReader(readers.FixtureReader):
        def __init__(self, spec):
            roots = [readers.FIRMWARE / spec["firmware"]] if spec.get("firmware") else []
            super().__init__(readers.HOSTS / spec["fixture"], roots)
            self.spec = spec

        def uname(self):
            machine, release = super().uname()
            return self.spec.get("machine", machine), release

        def kvm_probe(self, check_el1_32bit):
            if "kvm" in self.spec:
                return dict(self.spec["kvm"])
            return super().kvm_probe(check_el1_32bit)

    out_dir.mkdir(parents=True, exist_ok=True)
    specs = yaml.safe_load((case_dir / "facts.yml").read_text())
    for host, spec in specs.items():
        facts = gather_host_facts(CaseReader(spec))
        (out_dir / f"{host}.json").write_text(json.dumps(facts, indent=1))
        if spec.get("data"):
            data = ROOT / "tests" / "unit" / "fixtures" / "service_data" / f"{spec['data']}.json"
            shutil.copyfile(data, out_dir / f"{host}.data.json")


def run_playbook(args, tmp, secrets=()):
    env = dict(os.environ)
    # Never write the fake hosts into the project's fact cache.
    env.update(ANSIBLE_CACHE_PLUGIN="memory", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.update(
        ANSIBLE_LOCAL_TEMP=str(tmp / "local-tmp"), ANSIBLE_REMOTE_TEMP=str(tmp / "remote-tmp")
    )
    proc = subprocess.run(
        [ANSIBLE_PLAYBOOK, *STRICT, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(
        [ANSIBLE_PLAYBOOK, *STRICT, *args], proc.returncode, proc.stdout + proc.stderr, secrets
    )


class Runs:
    """Every case's run, started together in the background."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.pool = ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1))
        self.futures = {}
        self.args = {}

    def submit(self, key, args, secrets=()):
        work = self.tmp / re.sub(r"[^\w.-]", "_", key)
        work.mkdir(parents=True, exist_ok=True)
        self.args[key] = args
        self.futures[key] = self.pool.submit(run_playbook, args, work, tuple(secrets))

    def __getitem__(self, key):
        return self.futures[key].result()


GOOD_SITE = ROOT / "inventories" / "example-site"
GOOD_FACT_CASE = "good-lab-like"


@pytest.fixture(scope="session")
def inventory_runs(tmp_path_factory):
    """The inventory cases, the good site and a --limit without localhost."""
    tmp = tmp_path_factory.mktemp("inventory-runs")
    runs = Runs(tmp)
    for case in INVENTORY_CASES:
        inventory, secrets = HERE / "inventories" / case, ()
        if case in PASSWORD_CASES:
            copy = tmp / "sites" / case
            secrets = site_with_passwords(inventory, copy, PASSWORD_CASES[case])
            inventory = copy
        runs.submit(case, ["-i", str(inventory), str(PLAYBOOK)], secrets)
        if case == "secret-too-short":
            short_secrets = secrets
    site = tmp / "sites" / "good"
    secrets = site_with_passwords(GOOD_SITE, site)
    good = ["-i", str(site), str(PLAYBOOK)]
    inventory_only = [*good, "--tags", "prechecks_inventory"]
    runs.submit("good/inventory-only", inventory_only, secrets)
    runs.submit("good/inventory-only-check", [*inventory_only, "--check"], secrets)
    runs.submit("good/inventory-only-vvv", [*inventory_only, "-vvv"], secrets)
    runs.submit("good/limit-without-localhost", [*good, "--limit", "cmp-a01"], secrets)
    # A misspelled variable on a site that is not strict: a warning, no failure.
    lenient = tmp / "sites" / "good-lenient"
    lenient_secrets = site_with_passwords(GOOD_SITE, lenient)
    (lenient / "group_vars" / "all" / "typo.yml").write_text("---\ndozen_endpont_scheme: https\n")
    runs.submit(
        "good/misspelled-lenient",
        [
            *("-i", str(lenient), str(PLAYBOOK), "--tags", "prechecks_inventory"),
            *("-e", "prechecks_strict_variables=false"),
        ],
        lenient_secrets,
    )
    # At -vvv too, a refused secret's value stays out of the output.
    runs.submit("secret-too-short -vvv", [*runs.args["secret-too-short"], "-vvv"], short_secrets)
    yield runs
    runs.pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def fact_runs(tmp_path_factory):
    """The fact cases, each on facts recorded from the plugin fixtures."""
    tmp = tmp_path_factory.mktemp("fact-runs")
    runs = Runs(tmp)
    for case in FACT_CASES:
        facts = tmp / "facts" / case
        record_facts(HERE / "fact_cases" / case, facts)
        inventory = tmp / "sites" / case
        secrets = site_with_passwords(HERE / "fact_cases" / case / "inventory", inventory)
        # A case may set extra vars of its own (extra_vars.yml), such as a
        # limit the checks it is about would otherwise never get past.
        extra = HERE / "fact_cases" / case / "extra_vars.yml"
        runs.submit(
            case,
            [
                *("-i", str(inventory), str(RECORDED_PLAYBOOK)),
                *("-e", "prechecks_gather_facts=false", "-e", f"recorded_facts_dir={facts}"),
                *(("-e", f"@{extra}") if extra.is_file() else ()),
            ],
            secrets,
        )
        if case == GOOD_FACT_CASE:
            runs.submit(f"{case} --check", [*runs.args[case], "--check"], secrets)
    yield runs
    runs.pool.shutdown(wait=True)
