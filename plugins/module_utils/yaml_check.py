# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Find YAML a site's variables cannot be read from, with the line, as a pure function.

Ansible 2.19 reports a YAML error in group_vars or host_vars without the file
(``YAML parsing failed: ...``), and a key written twice in one mapping only as
a warning, the last value silently winning. ``yaml_problems`` parses the text
itself and says where: every duplicate key with the line of its first
occurrence, or the parse error's line and column.
"""

import yaml


class _Loader(yaml.SafeLoader):
    """SafeLoader that records duplicate keys and accepts Ansible's tags."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates = []

    def construct_mapping(self, node, deep=False):
        seen = {}
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if (
                    not isinstance(key_node, yaml.ScalarNode)
                    or key_node.tag == "tag:yaml.org,2002:merge"
                ):
                    continue
                key = key_node.value
                line = key_node.start_mark.line + 1
                if key in seen:
                    self.duplicates.append((line, key_node.start_mark.column + 1, key, seen[key]))
                else:
                    seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _tagged(loader, suffix, node):
    # !vault, !unsafe and other Ansible tags: their text is all this check needs.
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_Loader.add_multi_constructor("!", _tagged)


def yaml_problems(text):
    """``[(line, column, message)]`` for the YAML ``text``; [] when Ansible can read it cleanly.

    A whole file encrypted with ansible-vault is not YAML to this check and
    has no problem here (Ansible decrypts it, then parses it).
    """
    if text.lstrip().startswith("$ANSIBLE_VAULT;"):
        return []
    loader = _Loader(text)
    try:
        while loader.check_data():
            loader.get_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        start = exc.context_mark
        if start and mark and start.line != mark.line:
            problem += f" (what is open there started on line {start.line + 1})"
        return [(line, column, f"not valid YAML: {problem}")]
    except yaml.YAMLError as exc:
        return [(0, 0, f"not valid YAML: {exc}")]
    finally:
        loader.dispose()
    return [
        (
            line,
            column,
            f"the key {key!r} is written twice in one mapping (first on line {first}); "
            "Ansible would keep the last value only",
        )
        for line, column, key, first in sorted(loader.duplicates)
    ]
