"""site_variables: a site's values against the roles' own argument specs."""

from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import site_variables as sv

ROOT = Path(__file__).resolve().parents[4]
SPECS = sv.load_role_specs(ROOT / "roles")


def test_specs_of_every_role_are_loaded_with_their_defaults():
    assert "nova_compute_hw_machine_types" in SPECS["nova_compute"]["options"]
    assert "nova_compute_hw_machine_types" in SPECS["nova_compute"]["defaults"]
    # prechecks has two entry points (inventory, host); both count.
    assert "prechecks_strict_variables" in SPECS["prechecks"]["options"]
    assert "prechecks_firmware_machine_types" in SPECS["prechecks"]["options"]


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        (
            {"type": "list", "elements": "str"},
            "198.18.0.1",
            'x is "198.18.0.1" (a string), not a list of strings',
        ),
        ({"type": "list", "elements": "str"}, ["a", 3], "x[1] is 3 (a whole number), not a string"),
        ({"type": "dict"}, "virt", 'x is "virt" (a string), not a mapping'),
        ({"type": "dict"}, ["virt"], "(a list), not a mapping"),
        ({"type": "int"}, "4", 'x is "4" (a string), not a whole number'),
        ({"type": "int"}, True, "x is true (a boolean), not a whole number"),
        ({"type": "bool"}, "maybe", 'x is "maybe" (a string), not true or false'),
        ({"type": "str"}, 2023.1, "x is 2023.1 (a number), not a string"),
        (
            {"type": "list", "elements": "dict", "options": {"size": {"type": "str"}}},
            [{"size": 2}],
            "x[0].size is 2 (a whole number), not a string",
        ),
        (
            {"type": "str", "choices": ["http", "https"]},
            "htps",
            "must be one of: http, https, got: htps",
        ),
    ],
)
def test_wrong_values_are_named_with_their_type(option, value, fragment):
    errors = sv.validate_value("x", option, value)
    assert errors and fragment in errors[0], errors


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ({"type": "list", "elements": "str"}, ["198.18.0.1"]),
        ({"type": "dict"}, {"aarch64": "virt"}),
        ({"type": "int"}, 4),
        ({"type": "float"}, 4),
        ({"type": "bool"}, False),
        # As `-e x=true` gives it; the roles read it with `| bool`.
        ({"type": "bool"}, "true"),
        ({"type": "raw"}, "anything"),
        ({"type": "str", "choices": ["http", "https"]}, "https"),
        ({"type": "str"}, None),
    ],
)
def test_right_values_pass(option, value):
    assert sv.validate_value("x", option, value) == []


def test_a_group_vars_value_is_the_sites_and_reported_once():
    roles = {"dozen": ["ctl01", "cmp01", "localhost"], "nova_compute": ["cmp01"]}
    values = {
        "ctl01": {"dozen_openstack_source": "distr"},
        "cmp01": {"dozen_openstack_source": "distr", "nova_compute_hw_machine_types": "virt"},
        "localhost": {"dozen_openstack_source": "distr"},
    }
    problems = sv.check_values(roles, values, SPECS, site_values=values["localhost"])
    assert len(problems) == 2
    assert problems[0].startswith("site: dozen_openstack_source is not valid for role dozen:")
    assert "Fix: set dozen_openstack_source to one of distro, uca, mirror." in problems[0]
    # Set for the compute alone (not in localhost's values): named by host.
    assert problems[1].startswith(
        'cmp01: nova_compute_hw_machine_types is "virt" (a string), not a mapping'
    )
    assert "roles/nova_compute/meta/argument_specs.yml" in problems[1]


def test_a_value_is_judged_only_for_the_roles_its_host_runs():
    # nova_compute's variable on a controller: no compute role runs there.
    roles = {"dozen": ["ctl01"], "keystone": ["ctl01"]}
    values = {"ctl01": {"nova_compute_hw_machine_types": "virt"}}
    assert sv.check_values(roles, values, SPECS) == []


def test_skipped_names_are_not_validated():
    roles = {"keystone": ["ctl01"]}
    values = {"ctl01": {"keystone_admin_password": 12345}}
    assert sv.check_values(roles, values, SPECS, skip={"keystone_admin_password"}) == []


def test_many_hosts_are_abbreviated():
    roles = {"nova_compute": [f"cmp{i:02d}" for i in range(7)]}
    values = {host: {"nova_compute_hw_machine_types": "virt"} for host in roles["nova_compute"]}
    (problem,) = sv.check_values(roles, values, SPECS)
    assert problem.startswith("cmp00, cmp01, cmp02, cmp03 and 3 more: ")


def test_misspelled_names_are_unknown_with_a_suggestion():
    values = {
        "localhost": {"dozen_endpont_scheme": "https"},
        "ctl01": {"dozen_endpont_scheme": "https"},
        "cmp01": {"nova_compute_virt_typ": "kvm", "my_own_var": 1, "nova_keystone_password": "x"},
    }
    messages = sv.unknown_variables(values, SPECS, extra={"nova_keystone_password"})
    assert len(messages) == 2
    # Sorted by name; the one localhost has too is the site's.
    assert messages[0].startswith("site: dozen_endpont_scheme is set")
    assert "Did you mean dozen_endpoint_scheme?" in messages[0]
    assert messages[1].startswith(
        "cmp01: nova_compute_virt_typ is set, but no DozenCloud role reads it"
    )
    assert "Did you mean nova_compute_virt_type?" in messages[1]


def test_known_names_include_defaults_options_and_extras():
    known = sv.known_names(SPECS, extra={"dozen_lab_gateway"})
    assert {"dozen_endpoint_scheme", "nova_compute_virt_type", "dozen_lab_gateway"} <= known
    assert "dozen_" in sv.namespaces(SPECS) and "nova_compute_" in sv.namespaces(SPECS)
