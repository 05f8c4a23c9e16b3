"""The lab's zipimport bytecode cache for emulated hosts."""

import importlib
import importlib.util
import subprocess
import sys
import traceback
import zipfile
import zipimport
from pathlib import Path

import pytest

from dozencloud.lab import zipcache

MODULES = {
    "pkg/__init__.py": "VALUE = 'pkg'\n",
    "pkg/mod.py": "def boom():\n    raise RuntimeError('boom')\n",
    "top.py": "import pkg\nNAME = pkg.VALUE + '-top'\n",
}


def make_zip(path, modules=MODULES):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in modules.items():
            archive.writestr(name, text)
    return str(path)


@pytest.fixture
def compiles(monkeypatch):
    """Count the compiles CachingZipImporter does itself."""
    seen = []

    def counting(source, filename, *args, **kwargs):
        seen.append(filename)
        return compile(source, filename, *args, **kwargs)

    monkeypatch.setattr(zipcache, "compile", counting, raising=False)
    return seen


def load(importer, name):
    spec = importer.find_spec(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def importer_for(tmp_path):
    def make(name):
        importer = zipcache.CachingZipImporter(make_zip(tmp_path / name))
        importer.cache_dir = str(tmp_path / "cache")
        return importer

    return make


def test_each_module_compiles_once_then_comes_from_the_cache(importer_for, compiles, tmp_path):
    first = importer_for("a.zip")
    module = load(first, "pkg")
    assert module.VALUE == "pkg"
    assert compiles == [f"{first.archive}/pkg/__init__.py"]
    assert len(list((tmp_path / "cache").iterdir())) == 1

    # The same source in another zip (Ansible sends a new one per task).
    second = importer_for("b.zip")
    again = load(second, "pkg")
    assert again.VALUE == "pkg"
    assert len(compiles) == 1
    # The code names its own zip, for tracebacks.
    assert second.get_code("pkg").co_filename == f"{second.archive}/pkg/__init__.py"


def test_tracebacks_name_the_current_zip(importer_for, compiles):
    sub = importer_for("a.zip")
    mod_importer = zipcache.CachingZipImporter(f"{sub.archive}/pkg/")
    mod_importer.cache_dir = sub.cache_dir
    load(mod_importer, "mod")
    other = importer_for("c.zip")
    other_sub = zipcache.CachingZipImporter(f"{other.archive}/pkg/")
    other_sub.cache_dir = other.cache_dir
    module = load(other_sub, "mod")
    assert len(compiles) == 1
    with pytest.raises(RuntimeError) as raised:
        module.boom()
    frames = traceback.extract_tb(raised.value.__traceback__)
    assert frames[-1].filename == f"{other.archive}/pkg/mod.py"


def test_a_changed_source_is_compiled_anew(tmp_path, compiles):
    cache = str(tmp_path / "cache")
    one = zipcache.CachingZipImporter(make_zip(tmp_path / "1.zip", {"top.py": "X = 1\n"}))
    two = zipcache.CachingZipImporter(make_zip(tmp_path / "2.zip", {"top.py": "X = 2\n"}))
    one.cache_dir = two.cache_dir = cache
    assert load(one, "top").X == 1
    assert load(two, "top").X == 2
    assert len(compiles) == 2


def test_a_corrupt_or_unwritable_cache_only_costs_a_compile(importer_for, compiles, tmp_path):
    first = importer_for("a.zip")
    load(first, "pkg")
    for cached in (tmp_path / "cache").iterdir():
        cached.write_bytes(b"\x00garbage")
    assert load(importer_for("b.zip"), "pkg").VALUE == "pkg"
    assert len(compiles) == 2

    blocked = importer_for("c.zip")
    (tmp_path / "file").write_text("")
    blocked.cache_dir = str(tmp_path / "file" / "cache")
    assert load(blocked, "pkg").VALUE == "pkg"
    assert len(compiles) == 3


def test_get_filename_does_not_compile(importer_for, compiles):
    importer = importer_for("a.zip")
    assert importer.get_filename("top") == f"{importer.archive}/top.py"
    assert importer.get_filename("pkg") == f"{importer.archive}/pkg/__init__.py"
    assert compiles == []
    with pytest.raises(zipimport.ZipImportError):
        importer.get_filename("missing")


def test_imports_through_sys_path(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "lib.zip")
    monkeypatch.setattr(sys, "path_hooks", list(sys.path_hooks))
    monkeypatch.setattr(sys, "path_importer_cache", dict(sys.path_importer_cache))
    monkeypatch.setattr(zipcache.CachingZipImporter, "cache_dir", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(archive)
    for name in ("top", "pkg", "pkg.mod"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    zipcache.install()
    assert zipimport.zipimporter not in sys.path_hooks
    assert zipcache.CachingZipImporter in sys.path_hooks
    top = importlib.import_module("top")
    assert top.NAME == "pkg-top"
    assert isinstance(top.__loader__, zipcache.CachingZipImporter)
    assert top.__file__ == f"{archive}/top.py"
    assert len(list((tmp_path / "cache").iterdir())) == 2
    for name in ("top", "pkg"):
        sys.modules.pop(name, None)


def test_optimisation_levels_are_kept_apart(tmp_path):
    """A -O process must not run code compiled with asserts, nor the reverse."""
    archive = make_zip(tmp_path / "lib.zip", {"checked.py": "assert False, 'asserts run'\n"})
    script = (
        "import sys\n"
        "from dozencloud.lab import zipcache\n"
        f"zipcache.CachingZipImporter.cache_dir = {str(tmp_path / 'cache')!r}\n"
        "zipcache.install()\n"
        f"sys.path.insert(0, {archive!r})\n"
        "try:\n"
        "    import checked\n"
        "    print('skipped')\n"
        "except AssertionError as err:\n"
        "    print(err)\n"
    )
    root = str(Path(zipcache.__file__).resolve().parents[2])

    def run(*flags):
        argv = [sys.executable, *flags, "-c", script]
        out = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    assert [run(), run("-O"), run(), run("-O")] == ["asserts run", "skipped"] * 2
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_a_cache_others_can_write_is_not_read(importer_for, compiles, tmp_path):
    load(importer_for("a.zip"), "pkg")
    (tmp_path / "cache").chmod(0o777)
    load(importer_for("b.zip"), "pkg")
    assert len(compiles) == 2
