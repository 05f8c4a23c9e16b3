"""The single architecture alias table (ARM64-NOTES.md, "Architecture names")."""

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import arch

TABLE = [
    # canonical, dpkg, oci, oci_variant, rpm, qemu
    ("x86_64", "amd64", "amd64", None, "x86_64", "x86_64"),
    ("aarch64", "arm64", "arm64", "v8", "aarch64", "aarch64"),
    ("armv7l", "armhf", "arm", "v7", "armv7hl", "arm"),
]


@pytest.mark.parametrize(("canonical", "dpkg", "oci", "variant", "rpm", "qemu"), TABLE)
def test_every_scheme_round_trips(canonical, dpkg, oci, variant, rpm, qemu):
    for name in (canonical, dpkg, oci, rpm, qemu):
        assert arch.arch_alias(name, "canonical") == canonical
        for scheme in ("kernel", "ansible", "glance"):
            assert arch.arch_alias(name, scheme) == canonical
        assert arch.arch_alias(name, "dpkg") == dpkg
        assert arch.arch_alias(name, "oci") == oci
        assert arch.arch_alias(name, "oci_variant") == variant
        assert arch.arch_alias(name, "rpm") == rpm
        assert arch.arch_alias(name, "qemu") == qemu


@pytest.mark.parametrize("name", ["ARM64", " arm64 ", "x86-64", "armv7", "armv7hf"])
def test_aliases_ignore_case_and_blanks(name):
    assert arch.arch_known(name)


@pytest.mark.parametrize("name", ["riscv64", "ppc64le", "", None, 64, "arm64e"])
def test_unknown_names(name):
    assert not arch.arch_known(name)
    assert arch.canonical_arch(name) is None
    assert arch.arch_family(name) is None


def test_unknown_value_is_named():
    with pytest.raises(ValueError, match=r"unknown architecture 'riscv64'"):
        arch.arch_alias("riscv64", "dpkg")


def test_unknown_scheme_is_named():
    with pytest.raises(ValueError, match=r"unknown architecture naming scheme 'debian'"):
        arch.arch_alias("arm64", "debian")


def test_arch_names_of_an_unknown_machine_keep_the_raw_name():
    names = arch.arch_names("riscv64")
    assert names["canonical"] == names["kernel"] == "riscv64"
    assert names["known"] is False
    assert names["dpkg"] is None and names["oci_variant"] is None


def test_arch_names_of_aarch64():
    names = arch.arch_names("aarch64")
    assert names["known"] is True
    assert (names["dpkg"], names["oci"], names["oci_variant"]) == ("arm64", "arm64", "v8")


def test_families():
    assert arch.arch_family("amd64") == "x86"
    assert arch.arch_family("arm64") == "arm"
    assert arch.arch_family("armhf") == "arm"
