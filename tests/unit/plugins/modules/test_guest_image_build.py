"""guest_image_build as Ansible runs it, with the builder replaced by a recording fake."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dozencloud.cloud.plugins.module_utils import guest_image as gi
from ansible_collections.dozencloud.cloud.plugins.modules import guest_image_build

PACKAGES = {
    "busybox-static": "1:1.35.0-4+deb12u1+b1",
    "linux-image-6.1.0-56-cloud-arm64": "6.1.192-2",
    "systemd-boot-efi": "252.39-1~deb12u2",
}


class FakeBuilder:
    """Stands for GuestImageBuilder: lists of a given age, an optional cached image."""

    instances = []

    def __init__(self, run, architecture, suite, cache_dir, mirror, security_mirror, proxy):
        self.arch, _ = gi.guest_arch(architecture)
        self.cache_dir = cache_dir
        self.args = (suite, mirror, security_mirror, proxy)
        self.age = FakeBuilder.age
        self.have_image = FakeBuilder.have_image
        self.updated = False
        self.built = False
        FakeBuilder.instances.append(self)

    def lists_age(self):
        return self.age

    def update(self):
        self.updated = True

    def resolve(self):
        return {name: {"Version": version} for name, version in PACKAGES.items()}

    def recipe(self, resolved):
        return gi.recipe(self.arch, "bookworm", {n: f["Version"] for n, f in resolved.items()})

    def paths(self, spec):
        return f"{self.cache_dir}/images/{gi.image_name(spec)}", "manifest"

    def _manifest(self, spec):
        path = self.paths(spec)[0]
        return {
            "key": gi.recipe_key(spec),
            "sha256": gi.file_digests(path)["sha256"],
            "md5": gi.file_digests(path)["md5"],
            "size": 5,
            "kernel_release": "6.1.0-56-cloud-arm64",
        }

    def cached(self, spec):
        return self._manifest(spec) if self.have_image else None

    def build(self, resolved):
        self.built = True
        spec = self.recipe(resolved)
        return self._manifest(spec)


@pytest.fixture
def fake(monkeypatch, tmp_path):
    FakeBuilder.instances = []
    FakeBuilder.age = 10
    FakeBuilder.have_image = True
    spec = gi.recipe("aarch64", "bookworm", PACKAGES)
    image = tmp_path / "images" / gi.image_name(spec)
    image.parent.mkdir()
    image.write_bytes(b"image")
    monkeypatch.setattr(guest_image_build, "GuestImageBuilder", FakeBuilder)
    return FakeBuilder


def run(args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        guest_image_build.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


def test_cached_image_is_no_change(fake, tmp_path, capsys):
    code, result = run({"architecture": "arm64", "cache_dir": str(tmp_path)}, capsys)
    assert code == 0
    assert result["changed"] is False
    assert result["built"] is False
    assert result["architecture"] == "aarch64"
    assert result["packages"] == PACKAGES
    assert result["cmdline"] == "console=ttyAMA0 panic=30"
    assert result["kernel_release"] == "6.1.0-56-cloud-arm64"
    assert result["md5"] == "78805a221a988e79ef3f42d7c5bfd418"
    assert result["marker"] == "DOZENCLOUD-GUEST-MARKER"
    assert result["marker_regex"] == gi.MARKER_PATTERN.pattern
    assert fake.instances[0].updated is False


def test_missing_image_is_built(fake, tmp_path, capsys):
    fake.have_image = False
    code, result = run({"architecture": "aarch64", "cache_dir": str(tmp_path)}, capsys)
    assert code == 0
    assert result["changed"] is True
    assert result["built"] is True
    assert fake.instances[0].built


def test_check_mode_never_builds(fake, tmp_path, capsys):
    fake.have_image = False
    code, result = run(
        {"architecture": "aarch64", "cache_dir": str(tmp_path), "_ansible_check_mode": True}, capsys
    )
    assert code == 0
    assert result["changed"] is True
    assert result["built"] is False
    assert not fake.instances[0].built


def test_check_mode_without_package_lists(fake, tmp_path, capsys):
    fake.age = None
    code, result = run(
        {"architecture": "aarch64", "cache_dir": str(tmp_path), "_ansible_check_mode": True}, capsys
    )
    assert code == 0
    assert result["changed"] is True
    assert result["msg"] == "would refresh the package lists and build the image"
    assert fake.instances[0].updated is False


def test_stale_lists_are_refreshed_outside_check_mode(fake, tmp_path, capsys):
    fake.age = 90000
    run({"architecture": "aarch64", "cache_dir": str(tmp_path)}, capsys)
    assert fake.instances[0].updated is True
    run(
        {"architecture": "aarch64", "cache_dir": str(tmp_path), "_ansible_check_mode": True}, capsys
    )
    assert fake.instances[1].updated is False


def test_options_reach_the_builder(fake, tmp_path, capsys):
    run(
        {
            "architecture": "aarch64",
            "cache_dir": str(tmp_path),
            "suite": "trixie",
            "mirror": "http://gw:3142/debian",
            "security_mirror": "",
            "proxy": "http://gw:3142",
        },
        capsys,
    )
    assert fake.instances[0].args == ("trixie", "http://gw:3142/debian", "", "http://gw:3142")


def test_dest_is_copied_once(fake, tmp_path, capsys):
    dest = tmp_path / "out" / "test.raw"
    args = {"architecture": "aarch64", "cache_dir": str(tmp_path), "dest": str(dest)}
    _, check = run({**args, "_ansible_check_mode": True}, capsys)
    assert check["changed"] is True
    assert not dest.exists()
    _, first = run(args, capsys)
    assert first["changed"] is True
    assert dest.read_bytes() == b"image"
    _, second = run(args, capsys)
    assert second["changed"] is False
    _, check = run({**args, "_ansible_check_mode": True}, capsys)
    assert check["changed"] is False


def test_unknown_architecture_fails_with_the_fix(fake, tmp_path, capsys):
    code, result = run({"architecture": "armhf", "cache_dir": str(tmp_path)}, capsys)
    assert code == 1
    assert result["msg"] == (
        "architecture='armhf': no test image recipe; fix: use one of aarch64, x86_64"
    )
