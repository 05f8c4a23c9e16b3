"""The primary controller against where the data is, on a probe recorded on a lab controller."""

import json
from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils.data_location import (
    holders,
    primary_problems,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "service_data"


@pytest.fixture
def converged():
    """service_data's result on the aio lab's controller after a deploy."""
    return json.loads((FIXTURES / "aio-ctl01-converged.json").read_text())


@pytest.fixture
def bare():
    """service_data's result on the aio lab's compute after a deploy: no controller data."""
    return json.loads((FIXTURES / "aio-cmp01-converged.json").read_text())


def test_the_recorded_controller_holds_every_kind(converged):
    assert sorted(converged["held"]) == ["databases", "keystone keys", "ovn databases", "rabbitmq"]
    assert "/var/lib/mysql/nova_cell0" in converged["held"]["databases"]


def test_a_new_site_has_no_problem(bare):
    assert bare["held"] == {}
    assert primary_problems({"ctl01": bare, "ctl02": bare}, "ctl01", ["ctl01", "ctl02"]) == []


def test_the_primary_holding_the_data_has_no_problem(converged, bare):
    probes = {"ctl01": converged, "ctl02": bare}
    assert primary_problems(probes, "ctl01", ["ctl01", "ctl02"]) == []


def test_a_reordered_group_names_where_the_data_is_and_the_fix(converged, bare):
    probes = {"ctl02": bare, "ctl01": converged}
    (message,) = primary_problems(probes, "ctl02", ["ctl02", "ctl01"])
    assert message.startswith("ctl02 is the primary controller (dozen_primary_controller;")
    assert (
        "(databases on ctl01; keystone keys on ctl01; ovn databases on ctl01; rabbitmq on ctl01)"
        in message
    )
    assert message.endswith(
        "Fix: set dozen_primary_controller: ctl01 (or list ctl01 first in the controllers group)."
    )


def test_data_split_across_two_other_controllers_has_no_single_fix(converged, bare):
    ovn_only = {"held": {"ovn databases": converged["held"]["ovn databases"]}}
    rest = {"held": {k: v for k, v in converged["held"].items() if k != "ovn databases"}}
    probes = {"ctl01": bare, "ctl02": rest, "ctl03": ovn_only}
    (message,) = primary_problems(probes, "ctl01", ["ctl01", "ctl02", "ctl03"])
    assert "The data is split across ctl02, ctl03." in message
    assert "Fix: set dozen_primary_controller to the controller whose data" in message


def test_a_primary_outside_the_group_is_refused(bare):
    (message,) = primary_problems({"ctl01": bare}, "cmp01", ["ctl01"])
    assert message == (
        "dozen_primary_controller is 'cmp01', which is not a host of the controllers (ctl01). "
        "Fix: name one of them."
    )


def test_hosts_not_probed_and_other_groups_count_for_nothing(converged):
    probes = {"ctl01": None, "cmp01": converged}
    assert primary_problems(probes, "ctl01", ["ctl01"]) == []
    assert holders({"ctl01": None, "ctl02": converged})["rabbitmq"] == ["ctl02"]
