"""RabbitMQ account planning, on what rabbitmqctl eval printed on the aio lab controller."""

from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils.rabbitmq import (
    AccountError,
    describe,
    parse_state,
    password_matches,
    plan,
    state_expression,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rabbitmq"
HELD = parse_state((FIXTURES / "eval-fixture-user.txt").read_text())
NONE = parse_state((FIXTURES / "eval-no-user.txt").read_text())
AS_HELD = dict(
    password="fixture-password",
    vhost="fixture",
    permissions=["^fixture.*", ".*", ".*"],
    tags=["monitoring"],
)


def test_the_recorded_password_hash_is_checked_locally():
    assert password_matches(HELD["user"], "fixture-password") is True
    assert password_matches(HELD["user"], "another-password") is False
    assert password_matches(dict(HELD["user"], algorithm="rabbit_password_hashing_x"), "p") is None


def test_an_account_as_held_needs_nothing():
    assert plan(HELD, "fixture", **AS_HELD) == []


def test_a_new_account_gets_vhost_user_and_permissions():
    steps = plan(NONE, "nova", password="pw", vhost="nova")
    assert steps == [
        ["add_vhost", "nova"],
        ["add_user", "nova", "pw"],
        ["set_permissions", "-p", "nova", "nova", ".*", ".*", ".*"],
    ]
    assert [describe(s) for s in steps][1] == "add_user nova"


def test_each_difference_is_one_step():
    steps = plan(HELD, "fixture", **dict(AS_HELD, password="rotated", tags=[]))
    assert steps == [["change_password", "fixture", "rotated"], ["set_user_tags", "fixture"]]
    assert describe(steps[0]) == "change_password fixture"
    steps = plan(HELD, "fixture", **dict(AS_HELD, permissions=[".*", ".*", ".*"]))
    assert steps == [["set_permissions", "-p", "fixture", "fixture", ".*", ".*", ".*"]]


def test_an_unknown_hash_scheme_asks_rabbitmq():
    held = {**HELD, "user": dict(HELD["user"], algorithm="rabbit_password_hashing_bcrypt")}
    assert plan(held, "fixture", **AS_HELD) == [
        ["authenticate_user", "fixture", "fixture-password"]
    ]


def test_absent_deletes_only_an_existing_user():
    assert plan(HELD, "fixture", present=False) == [["delete_user", "fixture"]]
    assert plan(NONE, "nobody", present=False) == []


def test_names_that_could_break_the_expression_are_refused():
    assert '<<"nova">>' in state_expression("nova", "nova")
    assert "V = undefined" in state_expression("guest")
    with pytest.raises(AccountError, match="user 'x\">>' has characters"):
        state_expression('x">>', "v")


def test_output_without_the_state_line_is_an_error():
    with pytest.raises(AccountError, match="printed no account state"):
        parse_state("Error: unable to perform an operation on node 'rabbit@ctl01'\n")
