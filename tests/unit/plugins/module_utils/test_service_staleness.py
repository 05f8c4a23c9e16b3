"""Stale services from `systemctl show`, on output recorded from a lab controller."""

from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils.stale_services import (
    parse_show,
    parse_timestamp,
    staleness,
    started_at,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "systemd"
UNITS = ["ssh", "mariadb", "epmd.socket", "no-such-unit.service"]
# ExecMainStartTimestamp of mariadb in the recording: 22:37:13.227753 UTC.
MARIADB_START = 1796423833.227753


@pytest.fixture
def shown():
    return parse_show((FIXTURES / "show-ctl01.txt").read_text(), UNITS)


def test_the_recorded_output_splits_into_one_block_per_unit(shown):
    assert list(shown) == UNITS
    assert shown["mariadb"]["ActiveState"] == "active"
    assert shown["no-such-unit.service"]["LoadState"] == "not-found"
    # A socket has no main process, and no such line at all.
    assert "ExecMainStartTimestamp" not in shown["epmd.socket"]


def test_a_block_count_that_does_not_match_the_units_is_refused(shown):
    with pytest.raises(ValueError, match="3 blocks for 4 units"):
        parse_show("A=1\n\nB=2\n\nC=3\n", UNITS)


def test_timestamps_keep_their_microseconds():
    assert parse_timestamp("Fri 2026-12-04 22:37:13.227753 UTC") == pytest.approx(
        MARIADB_START, abs=1e-6
    )
    assert parse_timestamp("") is None and parse_timestamp("n/a") is None


def test_a_unit_started_after_its_file_changed_is_current(shown):
    assert staleness("mariadb", shown["mariadb"], ("/etc/mysql/x.cnf", MARIADB_START - 0.5)) is None


def test_a_file_newer_than_the_process_by_a_millisecond_makes_it_stale(shown):
    found = staleness("mariadb", shown["mariadb"], ("/etc/mysql/x.cnf", MARIADB_START + 0.001))
    assert found["unit"] == "mariadb"
    assert found["reason"] == "/etc/mysql/x.cnf changed after it (re)started"
    assert found["started_at"] == "2026-12-04T22:37:13.227753+00:00"


def test_a_socket_is_judged_by_when_it_became_active(shown):
    props = shown["epmd.socket"]
    assert started_at(props) == pytest.approx(parse_timestamp("Fri 2026-12-04 22:37:19.949452 UTC"))
    assert staleness("epmd.socket", props, ("/etc/systemd/x.conf", MARIADB_START)) is None


def test_a_recorded_reload_after_the_change_makes_it_current(shown):
    changed = MARIADB_START + 60
    assert staleness("ssh", shown["ssh"], ("/etc/ssh/d.conf", changed)) is not None
    reloaded = changed + 1
    assert staleness("ssh", shown["ssh"], ("/etc/ssh/d.conf", changed), reloaded) is None
    # A reload recorded before the last restart does not move the time back.
    assert started_at(shown["mariadb"], reloaded=MARIADB_START - 100) == MARIADB_START


@pytest.mark.parametrize(
    "change",
    [
        {"LoadState": "not-found", "ActiveState": "inactive"},
        {"ActiveState": "inactive"},
        {"ActiveState": "failed"},
    ],
)
def test_a_unit_not_installed_or_not_running_is_never_stale(shown, change):
    props = dict(shown["mariadb"], **change)
    assert staleness("mariadb", props, ("/etc/mysql/x.cnf", MARIADB_START + 600)) is None


def test_a_unit_systemd_must_reload_is_stale_even_with_old_files(shown):
    props = dict(shown["mariadb"], NeedDaemonReload="yes")
    found = staleness("mariadb", props, None)
    assert found["reason"].startswith("its unit file or a drop-in changed")


def test_no_file_at_all_leaves_a_running_unit_alone(shown):
    assert staleness("mariadb", shown["mariadb"], None) is None
