#!/usr/bin/python3
# Managed by DozenCloud (host_prep). Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Byte-compile, in one process, the Python modules that packages queued.

While host_prep defers byte-compiling (host_prep_python_bytecode), the
py3compile that packages' maintainer scripts call only queues its arguments.
apt runs this once dpkg is done (DPkg::Post-Invoke). It compiles every queued
package's modules with this one interpreter, where py3compile would have
started two interpreters per package. That matters where starting a process is
slow, as on a lab's ARM64 host under qemu-user.

It does what py3compile does for these invocations, for this interpreter's
version only:
  py3compile [-f] [-O] -p PACKAGE            the package's public modules
  py3compile [-f] [-O] [-X RE] -p PACKAGE DIR   its modules under DIR
  py3compile [-f] [-O] [-X RE] DIR_OR_FILE   every module under DIR
-V, -q and -v are accepted and change nothing here. An invocation this does not
understand is handed to the real py3compile, so nothing is left uncompiled.

It never makes apt fail: what it cannot compile it reports on stderr, and a
queue it cannot read stays for the next run. Run it by hand at any time.
"""

import contextlib
import importlib.util
import os
import py_compile
import re
import subprocess
import sys

QUEUE = "/var/lib/dozencloud/py3compile.queue"
REAL = "/usr/bin/py3compile.real"
DPKG_INFO = "/var/lib/dpkg/info"
PUBLIC_DIR_RE = re.compile(r".*?/usr/lib/python(\d(?:\.\d+)?)/(?:site|dist)-packages/")
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def warn(message, log=None):
    print(f"dozen-py3compile-flush: {message}", file=log or sys.stderr)


def parse_queue(text):
    """Split the queue's text into invocations: lists of arguments."""
    invocations = []
    for record in text.split("\n\n"):
        args = [line for line in record.split("\n") if line]
        if args:
            invocations.append(args)
    return invocations


def parse_invocation(args):
    """Read one py3compile invocation, or return None if this cannot do it alike."""
    spec = {"package": None, "paths": [], "force": False, "optimize": False, "exclude": []}
    items = iter(args)
    for arg in items:
        if arg in ("-p", "--package"):
            spec["package"] = next(items, None)
            if spec["package"] is None:
                return None
        elif arg.startswith("--package="):
            spec["package"] = arg.split("=", 1)[1]
        elif arg in ("-f", "--force"):
            spec["force"] = True
        elif arg == "-O":
            spec["optimize"] = True
        elif arg in ("-q", "--quiet", "-v", "--verbose"):
            pass
        elif arg == "-V":
            if next(items, None) is None:
                return None
        elif arg.startswith("-V"):
            pass
        elif arg in ("-X", "--exclude"):
            pattern = next(items, None)
            if pattern is None:
                return None
            spec["exclude"].append(pattern)
        elif arg.startswith("-"):
            return None
        else:
            spec["paths"].append(arg)
    if spec["package"] is None and not spec["paths"]:
        return None
    try:
        spec["exclude"] = [re.compile(p) for p in spec["exclude"]]
    except re.error:
        return None
    return spec


def package_files(package, info_dir=DPKG_INFO):
    """The paths a package installed, from dpkg's list files."""
    name = package.split(":", 1)[0]
    candidates = [f"{package}.list"] if ":" in package else []
    candidates.append(f"{name}.list")
    with contextlib.suppress(OSError):
        candidates += sorted(
            f for f in os.listdir(info_dir) if f.startswith(f"{name}:") and f.endswith(".list")
        )
    for candidate in candidates:
        try:
            with open(os.path.join(info_dir, candidate)) as handle:
                return [line.rstrip("\n") for line in handle if line.strip()]
        except OSError:
            continue
    raise LookupError(f"dpkg lists no files for package {package}")


def is_public_for_this_python(path):
    match = PUBLIC_DIR_RE.match(path)
    return bool(match) and match.group(1) in ("3", VERSION)


def walk(path):
    if os.path.isfile(path):
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            yield os.path.join(root, name)


def select(spec, info_dir=DPKG_INFO):
    """The .py files one invocation asks to compile."""
    roots = [p.rstrip("/") for p in spec["paths"]]
    if spec["package"] is not None:
        files = package_files(spec["package"], info_dir)
        if roots:
            files = [f for f in files if any(f == r or f.startswith(r + "/") for r in roots)]
        else:
            files = [f for f in files if is_public_for_this_python(f)]
    else:
        files = [f for path in spec["paths"] for f in walk(path)]
    selected = []
    for path in files:
        if not path.endswith(".py") or "/__pycache__/" in path:
            continue
        if excluded(path, roots, spec["exclude"]):
            continue
        selected.append(path)
    return selected


def excluded(path, roots, patterns):
    """Whether a -X pattern matches the path, or its path below a DIR (as py3compile tests)."""
    names = [path]
    for root in roots:
        if path.startswith(root + "/"):
            names += [path[len(root) :], path[len(root) + 1 :]]
    return any(p.match(name) for p in patterns for name in names)


def up_to_date(source, cache):
    """Whether cache holds source's bytecode, by the timestamp header py3compile checks."""
    try:
        mtime = int(os.stat(source).st_mtime)
        with open(cache, "rb") as handle:
            header = handle.read(16)
    except OSError:
        return False
    return (
        header[:4] == importlib.util.MAGIC_NUMBER
        and header[4:8] == b"\0\0\0\0"
        and int.from_bytes(header[8:12], "little") == mtime & 0xFFFFFFFF
    )


def compile_files(paths, force, optimize, log=None):
    """Compile paths; return (compiled, failed) counts."""
    compiled = failed = 0
    level = "" if not optimize else 1
    for source in paths:
        if not os.path.isfile(source):
            continue
        cache = importlib.util.cache_from_source(source, optimization=level)
        if not force and up_to_date(source, cache):
            continue
        try:
            py_compile.compile(
                source,
                cfile=cache,
                doraise=True,
                optimize=1 if optimize else -1,
                invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
            )
            compiled += 1
        except py_compile.PyCompileError as err:
            failed += 1
            why = f"{err.exc_type_name}: {err.exc_value}"
            warn(f"{source}: {why}", log)
        except OSError as err:
            failed += 1
            warn(f"{source}: {err}", log)
    return compiled, failed


def take_queue(queue):
    """Move the queue aside, so what dpkg queues meanwhile waits for the next run."""
    taken = f"{queue}.{os.getpid()}"
    try:
        os.rename(queue, taken)
    except FileNotFoundError:
        return None, None
    with open(taken, "rb") as handle:
        return taken, handle.read().decode("utf-8", "surrogateescape")


def compile_queued(text, real, info_dir, run, log):
    """Compile what the queue's text asks for; returns (compiled, failed, handed, calls)."""
    compiled = failed = handed = 0
    invocations = parse_queue(text)
    for args in invocations:
        spec = parse_invocation(args)
        try:
            paths = select(spec, info_dir) if spec else None
        except LookupError as err:  # the package is gone again: nothing to compile
            warn(f"{' '.join(args)}: {err}", log)
            continue
        except (OSError, UnicodeError) as err:
            warn(f"{' '.join(args)}: {err}", log)
            paths = None
        if paths is None:
            handed += 1
            try:
                run([real, *args], check=False)
            except OSError as err:  # one bad record must not hold up the others
                warn(f"{real}: {err}", log)
            continue
        done, bad = compile_files(paths, spec["force"], spec["optimize"], log)
        compiled += done
        failed += bad
    return compiled, failed, handed, len(invocations)


def flush(queue=QUEUE, real=REAL, info_dir=DPKG_INFO, run=subprocess.run, log=None):
    """Compile everything queued. Returns a summary line, or None if nothing was queued."""
    taken, text = take_queue(queue)
    if taken is None:
        return None
    try:
        compiled, failed, handed, invocations = compile_queued(text, real, info_dir, run, log)
    except BaseException:
        with open(queue, "a") as handle:  # put it back for the next run
            handle.write(text)
        os.unlink(taken)
        raise
    os.unlink(taken)
    return (
        f"dozen-py3compile-flush: {invocations} queued py3compile calls: "
        f"{compiled} modules compiled, {failed} failed, {handed} handed to py3compile"
    )


def main():
    try:
        summary = flush()
    except Exception as err:  # never fail apt for bytecode
        warn(f"{err}; the queue stays for the next run")
        return 0
    if summary and "-v" in sys.argv[1:]:
        print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
