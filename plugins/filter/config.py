# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Render service configuration from data, so operators override any key."""

from ansible.errors import AnsibleFilterError

HEADER = "# Managed by DozenCloud: change it through the role's *_config_overrides variable.\n"


def _value(section, key, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        text = str(value)
    elif isinstance(value, (list, tuple)):
        items = [_value(section, key, item) for item in value]
        if any("," in item for item in items):
            raise AnsibleFilterError(
                f"to_ini: [{section}] {key}: a list item contains a comma, "
                "so the list could not be read back; write the value as one string"
            )
        text = ",".join(items)
    else:
        raise AnsibleFilterError(
            f"to_ini: [{section}] {key} is a {type(value).__name__}; "
            "values are strings, numbers, booleans or lists of them"
        )
    if "\n" in text:
        raise AnsibleFilterError(f"to_ini: [{section}] {key}: values are one line")
    return text


def to_ini(sections, header=HEADER):
    """An INI file (oslo.config style) from {section: {key: value}}.

    Sections and keys keep their order ([DEFAULT] first when present); a key
    whose value is None is left out, so an override can remove a default.
    Booleans are written true/false and lists comma-separated.
    """
    if not isinstance(sections, dict):
        raise AnsibleFilterError(
            f"to_ini: expected a mapping of sections, got {type(sections).__name__}"
        )
    names = list(sections)
    if "DEFAULT" in names:
        names.remove("DEFAULT")
        names.insert(0, "DEFAULT")
    out = [header] if header else []
    for section in names:
        keys = sections[section]
        if keys is None:
            continue
        if not isinstance(keys, dict):
            raise AnsibleFilterError(
                f"to_ini: section [{section}] is a {type(keys).__name__}, not a mapping of keys"
            )
        if out:
            out.append("\n")
        out.append(f"[{section}]\n")
        for key, value in keys.items():
            if value is None:
                continue
            out.append(f"{key} = {_value(section, key, value)}\n")
    return "".join(out)


class FilterModule:
    def filters(self):
        return {"to_ini": to_ini}
