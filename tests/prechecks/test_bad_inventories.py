"""Malformed site inventories are refused by the inventory checks alone.

Each directory under inventories/ is a site with one mistake and an
``expected.txt`` file of message fragments. Its hosts (198.18.0.0/15 and
documentation addresses) do not exist: the run must fail on localhost, before
the play that contacts hosts, and change nothing.
"""

import pytest
from conftest import HERE, INVENTORY_CASES, expected_fragments


def assert_nothing_changed(run):
    assert run.recap, run.describe()
    assert all(counts["changed"] == 0 for counts in run.recap.values()), run.describe()


def assert_no_host_contacted(run):
    assert set(run.recap) == {"localhost"}, run.describe()
    assert "UNREACHABLE" not in run.output, run.describe()


def assert_inventory_parsed_cleanly(run):
    """Only the case's inventory files were read, and every one parsed."""
    assert not run.warnings, run.describe()


def assert_no_secret_shown(run):
    # describe() would print the output, and with it the secret: name it only.
    assert not run.leaked(), f"{run.leaked()} of the site shown by {' '.join(run.args)}"


def test_at_least_fifteen_cases():
    assert len(INVENTORY_CASES) >= 15


@pytest.mark.parametrize("case", INVENTORY_CASES)
def test_bad_inventory_is_refused(inventory_runs, case):
    run = inventory_runs[case]
    fragments = expected_fragments(HERE / "inventories" / case)
    assert fragments, f"{case}/expected.txt lists no message"
    assert run.returncode != 0, run.describe()
    errors = "\n".join(line for line in run.output.splitlines() if line.startswith("[ERROR]"))
    for fragment in fragments:
        assert fragment in errors, f"{fragment!r} missing\n{run.describe()}"
    # The first fragment starts with who is at fault ('site' or a host) and the variable.
    subject, _, rest = fragments[0].partition(":")
    assert subject and rest, f"{case}: the first fragment must name the host or 'site'"
    assert "Fix:" in errors, run.describe()
    # Refused on localhost: the play that contacts hosts never started.
    assert "PLAY [Check every host]" not in run.output, run.describe()
    assert_no_host_contacted(run)
    assert_nothing_changed(run)
    assert_inventory_parsed_cleanly(run)
    assert_no_secret_shown(run)


def test_refused_secret_is_not_shown_at_vvv(inventory_runs):
    """-vvv prints every task result; the secrets check's result is no_log."""
    run = inventory_runs["secret-too-short -vvv"]
    assert run.returncode != 0
    assert "keystone_admin_password is 14 characters long" in run.output
    assert "Sh0rtLeakCheck" in run.secrets
    assert_no_secret_shown(run)


@pytest.mark.parametrize(
    "key", ["good/inventory-only", "good/inventory-only-check", "good/inventory-only-vvv"]
)
def test_good_site_inventory_passes(inventory_runs, key):
    """inventories/example-site, with its passwords, passes; --tags keeps its (unreal) hosts out."""
    run = inventory_runs[key]
    assert run.returncode == 0, run.describe()
    assert "[ERROR]" not in run.output, run.describe()
    assert run.recap["localhost"]["failed"] == 0, run.describe()
    assert_no_host_contacted(run)
    assert_nothing_changed(run)
    assert_inventory_parsed_cleanly(run)
    assert run.secrets
    assert_no_secret_shown(run)


def test_limit_without_localhost_is_refused(inventory_runs):
    """--limit without localhost would skip the inventory checks; the host play says so."""
    run = inventory_runs["good/limit-without-localhost"]
    assert run.returncode != 0, run.describe()
    assert "cmp-a01: the inventory checks did not run" in run.output, run.describe()
    assert "--limit 'cmp-a01,localhost'" in run.output, run.describe()
    assert "UNREACHABLE" not in run.output, run.describe()
    assert_nothing_changed(run)
    assert_no_secret_shown(run)


def test_misspelled_variable_warns_on_a_lenient_site(inventory_runs):
    """Without prechecks_strict_variables, an unknown variable is a warning that names it."""
    run = inventory_runs["good/misspelled-lenient"]
    assert run.returncode == 0, run.describe()
    assert any(
        "site: dozen_endpont_scheme is set, but no DozenCloud role reads it" in warning
        and "Did you mean dozen_endpoint_scheme?" in warning
        for warning in run.warnings
    ), run.describe()
    assert_no_host_contacted(run)
    assert_nothing_changed(run)
    assert_no_secret_shown(run)
