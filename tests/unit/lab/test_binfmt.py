"""The binfmt_misc register line the lab writes to add the C flag."""

import pytest

from dozencloud.lab.system import LabError, binfmt_register_line

# /proc/sys/fs/binfmt_misc/qemu-aarch64 on the lab machine (Debian 12,
# qemu-user-static 1:7.2+dfsg-7+deb12u18, registered by binfmt-support).
STATUS = """\
enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: POF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
"""


def test_register_line_recreates_the_entry_with_the_flags_asked():
    line = binfmt_register_line("qemu-aarch64", STATUS, "OCPF")
    assert line == (
        ":qemu-aarch64:M:0:"
        "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:"
        "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:"
        "/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OCPF"
    )


def test_an_extension_entry_is_refused():
    status = "enabled\ninterpreter /usr/bin/python3.11\nflags: \nextension .pyc\n"
    with pytest.raises(LabError, match="not a magic entry"):
        binfmt_register_line("python3.11", status, "OCPF")
