"""yaml_check: the line of a YAML error or a duplicate key in a site's variables."""

from ansible_collections.dozencloud.cloud.plugins.module_utils.yaml_check import yaml_problems


def test_clean_yaml_with_ansible_tags_has_no_problem():
    text = (
        "---\n"
        "a: 1\n"
        "secret: !vault |\n"
        "  $ANSIBLE_VAULT;1.1;AES256\n"
        "  6162\n"
        "raw: !unsafe '{{ not templated }}'\n"
        "base: &base {x: 1}\n"
        "merged:\n"
        "  <<: *base\n"
        "  y: 2\n"
        "same_keys_in_two_mappings: [{k: 1}, {k: 2}]\n"
    )
    assert yaml_problems(text) == []


def test_a_vault_encrypted_file_is_not_read_as_yaml():
    assert yaml_problems("$ANSIBLE_VAULT;1.1;AES256\n3132\n") == []


def test_every_duplicate_key_is_named_with_both_lines():
    text = "---\na: 1\nnested:\n  b: 1\n  b: 2\na: 3\n"
    assert yaml_problems(text) == [
        (
            5,
            3,
            "the key 'b' is written twice in one mapping (first on line 4); "
            "Ansible would keep the last value only",
        ),
        (
            6,
            1,
            "the key 'a' is written twice in one mapping (first on line 2); "
            "Ansible would keep the last value only",
        ),
    ]


def test_a_parse_error_says_where():
    ((line, column, message),) = yaml_problems("---\nntp: [198.18.0.1\n")
    assert (line, column) == (3, 1)
    assert message.startswith("not valid YAML: while parsing a flow sequence")
    assert "(what is open there started on line 2)" in message


def test_an_unquoted_colon_in_a_value_is_an_error_on_its_line():
    ((line, _, message),) = yaml_problems("---\nkey: a: b\n")
    assert line == 2
    assert "mapping values are not allowed here" in message
