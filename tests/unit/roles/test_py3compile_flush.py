"""host_prep's deferred byte-compiling: the queueing py3compile and the apt hook."""

import importlib.machinery
import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[3] / "roles" / "host_prep" / "files"
QUEUE_SCRIPT = FILES / "py3compile-queue"


def load_flush():
    loader = importlib.machinery.SourceFileLoader(
        "dozen_py3compile_flush", str(FILES / "dozen_py3compile_flush.py")
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


flush_mod = load_flush()


def queue_call(queue, *args):
    """Call the queueing py3compile as a maintainer script would."""
    env = dict(os.environ, DPKG_MAINTSCRIPT_NAME="postinst", DOZEN_PY3COMPILE_QUEUE=str(queue))
    subprocess.run([str(QUEUE_SCRIPT), *args], env=env, check=True)


@pytest.fixture
def site(tmp_path):
    """A package python3-foo with public modules, a private dir and dpkg's list file."""
    public = tmp_path / "usr/lib/python3/dist-packages/foo"
    private = tmp_path / "usr/share/foo"
    old = tmp_path / "usr/lib/python2.7/dist-packages/foo"
    for directory in (public, private, old):
        directory.mkdir(parents=True)
    files = {
        public / "__init__.py": "VALUE = 1\n",
        public / "broken.py": "def (:\n",
        private / "tool.py": "print('tool')\n",
        private / "skipme.py": "print('skip')\n",
        old / "legacy.py": "print 'python 2'\n",
    }
    for path, text in files.items():
        path.write_text(text)
    info = tmp_path / "info"
    info.mkdir()
    (info / "python3-foo.list").write_text(
        "".join(f"{p}\n" for p in [public.parent, public, *files]) + "\n"
    )
    (info / "bar:arm64.list").write_text(f"{private / 'tool.py'}\n")
    return {"root": tmp_path, "public": public, "private": private, "old": old, "info": info}


def pyc(source, opt=""):
    return Path(importlib.util.cache_from_source(str(source), optimization=opt))


def test_the_queueing_py3compile_writes_records_the_hook_reads(tmp_path):
    queue = tmp_path / "q"
    queue_call(queue, "-p", "python3-foo")
    queue_call(queue, "-p", "foo", "/usr/share/foo", "-X", "skip.*")
    assert flush_mod.parse_queue(queue.read_text()) == [
        ["-p", "python3-foo"],
        ["-p", "foo", "/usr/share/foo", "-X", "skip.*"],
    ]


def test_outside_a_maintainer_script_it_is_the_real_py3compile(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPKG_")}
    env["DOZEN_PY3COMPILE_QUEUE"] = str(tmp_path / "q")
    result = subprocess.run(
        [str(QUEUE_SCRIPT), "-p", "x"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "py3compile.real" in result.stderr
    assert not (tmp_path / "q").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-p", "a"], {"package": "a", "paths": [], "force": False, "optimize": False}),
        (["-f", "-O", "--package=a", "-V", "3.11-"], {"package": "a", "force": True}),
        (["-q", "-V3.9-", "/usr/share/a"], {"package": None, "paths": ["/usr/share/a"]}),
    ],
)
def test_invocations_it_does_itself(args, expected):
    spec = flush_mod.parse_invocation(args)
    assert spec is not None
    for key, value in expected.items():
        assert spec[key] == value


@pytest.mark.parametrize(
    "args", [["-p"], ["--bogus", "-p", "a"], ["-q"], ["-X", "(", "/d"], ["-V"], ["-X"]]
)
def test_invocations_it_hands_to_py3compile(args):
    assert flush_mod.parse_invocation(args) is None


def test_public_modules_of_a_package_are_those_for_this_python(site):
    spec = flush_mod.parse_invocation(["-p", "python3-foo"])
    selected = flush_mod.select(spec, str(site["info"]))
    assert selected == [str(site["public"] / "__init__.py"), str(site["public"] / "broken.py")]


def test_private_directory_with_exclusions(site):
    spec = flush_mod.parse_invocation(["-p", "python3-foo", str(site["private"]), "-X", ".*skip"])
    assert flush_mod.select(spec, str(site["info"])) == [str(site["private"] / "tool.py")]


def test_a_multiarch_package_list_is_found(site):
    assert flush_mod.package_files("bar", str(site["info"])) == [str(site["private"] / "tool.py")]
    assert flush_mod.package_files("bar:arm64", str(site["info"])) == [
        str(site["private"] / "tool.py")
    ]
    with pytest.raises(LookupError, match="no files for package nope"):
        flush_mod.package_files("nope", str(site["info"]))


def test_flush_compiles_once_and_reports_what_failed(site, capsys):
    queue = site["root"] / "queue"
    queue_call(queue, "-p", "python3-foo")
    queue_call(queue, "-O", str(site["private"]))
    handed = []
    summary = flush_mod.flush(
        str(queue), "/real", str(site["info"]), lambda a, **_: handed.append(a)
    )
    assert summary == (
        "dozen-py3compile-flush: 2 queued py3compile calls: "
        "3 modules compiled, 1 failed, 0 handed to py3compile"
    )
    assert not queue.exists()
    assert handed == []
    assert "broken.py" in capsys.readouterr().err
    init = site["public"] / "__init__.py"
    header = pyc(init).read_bytes()[:16]
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(header[8:12], "little") == int(init.stat().st_mtime)
    assert pyc(site["private"] / "tool.py", 1).is_file()
    assert not pyc(site["old"] / "legacy.py").exists()

    queue_call(queue, "-p", "python3-foo")
    again = flush_mod.flush(str(queue), "/real", str(site["info"]), lambda a, **_: None)
    assert "0 modules compiled, 1 failed" in again

    os.utime(init, (1, 1))
    queue_call(queue, "-p", "python3-foo")
    changed = flush_mod.flush(str(queue), "/real", str(site["info"]), lambda a, **_: None)
    assert "1 modules compiled" in changed


def test_what_it_cannot_do_goes_to_the_real_py3compile(site, capsys):
    queue = site["root"] / "queue"
    queue_call(queue, "--bogus", "-p", "python3-foo")
    queue_call(queue, "-p", "removed-since")
    queue_call(queue, "-V")
    handed = []

    def run(args, **_):
        handed.append(args)
        if args[1] == "-V":
            raise OSError("cannot run")

    summary = flush_mod.flush(str(queue), "/real", str(site["info"]), run)
    assert handed == [["/real", "--bogus", "-p", "python3-foo"], ["/real", "-V"]]
    assert summary.endswith("2 handed to py3compile")
    err = capsys.readouterr().err
    assert "no files for package removed-since" in err
    assert "/real: cannot run" in err
    assert not queue.exists()


def test_exclusions_match_below_the_directory_too(site):
    for pattern in ("skip.*", "/skip.*", ".*/skipme\\.py"):
        spec = flush_mod.parse_invocation([str(site["private"]), "-X", pattern])
        assert flush_mod.select(spec, str(site["info"])) == [str(site["private"] / "tool.py")]


def test_a_queue_that_is_not_utf8_is_read(site):
    queue = site["root"] / "queue"
    queue.write_bytes(b"-p\npython3-foo\n\n" + str(site["private"]).encode() + b"/\xff.py\n\n")
    summary = flush_mod.flush(str(queue), "/real", str(site["info"]), lambda a, **_: None)
    assert summary.startswith("dozen-py3compile-flush: 2 queued py3compile calls: 1 modules")
    assert not queue.exists()


def test_nothing_queued(tmp_path):
    assert flush_mod.flush(str(tmp_path / "none")) is None


def test_a_failed_flush_puts_the_queue_back(site):
    queue = site["root"] / "queue"
    queue_call(queue, "--bogus")
    queue_call(queue, "-p", "python3-foo")

    def broken_run(args, **_):
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        flush_mod.flush(str(queue), "/real", str(site["info"]), broken_run)
    assert flush_mod.parse_queue(queue.read_text()) == [["--bogus"], ["-p", "python3-foo"]]
    assert list(site["root"].glob("queue.*")) == []
