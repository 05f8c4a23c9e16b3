"""inventory_groups: groups that no play deploys, misspellings, limits."""

from ansible_collections.dozencloud.cloud.plugins.module_utils.inventory_groups import (
    group_problems,
)

DEPLOYED = ["controllers", "computes"]
RESERVED = {"storage": "Ceph", "kubernetes_nodes": "Kubernetes"}
LIMITS = {"controllers": {"max": 1, "why": "failover is not implemented"}}


def inventory(**groups):
    every = sorted({host for hosts in groups.values() for host in hosts})
    return {"all": every, "ungrouped": [], **groups}


def test_a_deployable_site_has_no_problem():
    groups = inventory(controllers=["ctl01"], computes=["cmp01", "cmp02"], rack1=["ctl01", "cmp01"])
    assert group_problems(groups, DEPLOYED, RESERVED, [], LIMITS) == []


def test_a_misspelled_group_and_its_host_are_named():
    groups = inventory(controllers=["ctl01"], computes=["cmp01"], compute=["cmp02"])
    problems = group_problems(groups, DEPLOYED, RESERVED, [], LIMITS)
    assert problems == [
        "site: the group compute has hosts (cmp02), but no DozenCloud play uses it: did you mean "
        "computes? Fix: rename the group to computes, or list compute in prechecks_extra_groups if "
        "a play of your own uses it.",
        "cmp02: is in the groups compute only, and no DozenCloud play deploys those, so it would "
        "get nothing but the host preparation every host gets. Fix: put cmp02 in computes or "
        "controllers, list its group in prechecks_extra_groups if a play of your own uses it, or "
        "remove it from the inventory.",
    ]


def test_a_misspelled_group_is_named_even_when_its_hosts_are_deployed_otherwise():
    groups = inventory(controllers=["ctl01"], computes=["cmp01"], contollers=["cmp01"])
    (problem,) = group_problems(groups, DEPLOYED, RESERVED, [], LIMITS)
    assert problem.startswith("site: the group contollers has hosts (cmp01)")
    assert "did you mean controllers?" in problem


def test_an_ungrouped_host_is_named():
    groups = inventory(controllers=["ctl01"], computes=["cmp01"])
    groups["all"].append("lonely")
    groups["ungrouped"] = ["lonely"]
    (problem,) = group_problems(groups, DEPLOYED, RESERVED, [], LIMITS)
    assert problem.startswith("lonely: is in no group,")


def test_groups_of_components_not_deployed_yet_are_refused():
    groups = inventory(controllers=["ctl01"], computes=["cmp01"], kubernetes_nodes=["cmp01"])
    (problem,) = group_problems(groups, DEPLOYED, RESERVED, [], LIMITS)
    assert problem.startswith(
        "site: the group kubernetes_nodes has hosts (cmp01), but this release"
    )
    assert "does not deploy Kubernetes yet" in problem


def test_a_group_the_site_uses_itself_is_allowed():
    groups = inventory(controllers=["ctl01"], computes=["cmp01"], compute=["backup01"])
    assert group_problems(groups, DEPLOYED, RESERVED, ["compute"], LIMITS) == []


def test_more_controllers_than_the_code_deploys_are_refused():
    groups = inventory(controllers=["ctl01", "ctl02", "ctl03"], computes=["cmp01"])
    (problem,) = group_problems(groups, DEPLOYED, RESERVED, [], LIMITS)
    assert problem == (
        "site: the group controllers has 3 hosts (ctl01, ctl02, ctl03), but DozenCloud deploys at "
        "most 1 there: failover is not implemented. Fix: keep 1 host in controllers."
    )
