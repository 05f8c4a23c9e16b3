"""to_ini: service configuration rendered from data."""

import configparser

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.filter.config import to_ini


def test_default_first_and_values_rendered():
    text = to_ini(
        {
            "database": {"connection": "mysql+pymysql://k:p@10.0.0.1/keystone"},
            "DEFAULT": {"debug": False, "workers": 2, "hosts": ["a:1", "b:2"]},
        },
        header="",
    )
    assert text == (
        "[DEFAULT]\ndebug = false\nworkers = 2\nhosts = a:1,b:2\n\n"
        "[database]\nconnection = mysql+pymysql://k:p@10.0.0.1/keystone\n"
    )
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.read_string(text)
    assert parsed["database"]["connection"].endswith("/keystone")


def test_none_removes_a_key_and_an_empty_section_stays():
    text = to_ini({"a": {"x": 1, "y": None}, "b": {}, "c": None}, header="")
    assert text == "[a]\nx = 1\n\n[b]\n"


def test_header_is_written():
    assert to_ini({"a": {"x": 1}}).startswith("# Managed by DozenCloud")


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ([("a", 1)], "expected a mapping of sections, got list"),
        ({"a": ["x"]}, "section [a] is a list"),
        ({"a": {"x": {"y": 1}}}, "[a] x is a dict"),
        ({"a": {"x": ["1,2"]}}, "[a] x: a list item contains a comma"),
        ({"a": {"x": "one\ntwo"}}, "[a] x: values are one line"),
    ],
)
def test_errors_name_section_and_key(sections, message):
    with pytest.raises(AnsibleFilterError) as excinfo:
        to_ini(sections)
    assert message in str(excinfo.value)
