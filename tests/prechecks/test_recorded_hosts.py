"""Host checks on dozen_host facts recorded from the plugin fixtures.

Each directory under fact_cases/ is a site of local hosts whose facts come
from tests/unit/fixtures/hosts (facts.yml says which), so the checks that need
a host's architecture, page size, KVM and firmware run without a lab.
"""

import pytest
from conftest import FACT_CASES, HERE, expected_fragments


def test_cases_cover_the_fact_checks():
    assert len(FACT_CASES) >= 8


@pytest.mark.parametrize("case", FACT_CASES)
def test_recorded_host(fact_runs, case):
    run = fact_runs[case]
    fragments = expected_fragments(HERE / "fact_cases" / case)
    assert run.recap, run.describe()
    assert all(counts["changed"] == 0 for counts in run.recap.values()), run.describe()
    assert all(counts["unreachable"] == 0 for counts in run.recap.values()), run.describe()
    assert not run.warnings, run.describe()
    assert run.secrets
    assert not run.leaked(), f"{run.leaked()} of the site shown"
    if not fragments:
        assert run.returncode == 0, run.describe()
        assert "[ERROR]" not in run.output, run.describe()
        return
    assert run.returncode != 0, run.describe()
    # The inventory itself is sound: only the host play may fail.
    assert run.recap["localhost"]["failed"] == 0, run.describe()
    errors = "\n".join(line for line in run.output.splitlines() if line.startswith("[ERROR]"))
    for fragment in fragments:
        assert fragment in errors, f"{fragment!r} missing\n{run.describe()}"
    assert "Fix:" in errors, run.describe()


def test_good_site_passes_in_check_mode(fact_runs):
    run = fact_runs["good-lab-like --check"]
    assert run.returncode == 0, run.describe()
    assert set(run.recap) == {"localhost", "ctl01", "cmp01", "cmp02", "stor01"}, run.describe()
    assert all(counts["changed"] == 0 for counts in run.recap.values()), run.describe()
