# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Keep the bytecode of modules Python imports from zip files (lab hosts under qemu-user).

Ansible runs every module from a zip it sends (AnsiballZ), and Python's
zipimport compiles each module's source on every import: it caches nothing,
and CPython 3.11 even compiles each module twice (``find_spec`` asks
``get_filename``, which compiles, then ``exec_module`` compiles again).
Natively that costs little; under qemu-user it costs most of each Ansible
task on an ARM64 lab host (docs/lab.md, "Experiments").

``dozen lab up`` copies this file into each emulated host as
``/usr/local/lib/python3.11/dist-packages/dozen_lab_zipcache.py``, with a
``.pth`` file that imports it, so every Python there installs
``CachingZipImporter`` in place of zipimport's importer. It keeps each
compiled module in ``/var/cache/dozencloud/zipimport`` (root only), one file
per path inside the zip, interpreter cache tag and optimisation level (-O),
holding the source it was compiled from; a module whose source differs is
compiled again. Only the
compiling changes: the same code runs, from the same zip, with its file name.
(No hashlib: starting OpenSSL would cost more under qemu-user than it saves.)

Standard library only; any failure falls back to zipimport's own behaviour.
"""

import marshal
import os
import stat
import sys
import types
import zipimport

CACHE_DIR = "/var/cache/dozencloud/zipimport"


def _source_entry(importer, fullname):
    """(path inside the archive's name space, is_package) of a module's source, or None."""
    last = fullname.rpartition(".")[2]
    for suffix, is_package in (("/__init__.py", True), (".py", False)):
        key = importer.prefix + last + suffix.replace("/", os.sep)
        entry = importer._files.get(key)
        if entry is not None:
            return entry[0], is_package
    return None


def _retarget(code, filename):
    """code, with co_filename set to filename in it and every nested code object."""
    consts = tuple(
        _retarget(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=consts)


def _trusted(directory):
    """Whether directory is a real directory that only this process's user can write."""
    try:
        info = os.lstat(directory)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


class CachingZipImporter(zipimport.zipimporter):
    """zipimport's importer, compiling a module's source once per content."""

    cache_dir = CACHE_DIR

    def get_filename(self, fullname):
        try:
            found = _source_entry(self, fullname)
        except Exception:  # private zipimport state changed: do as zipimport does
            found = None
        if found is None:
            return super().get_filename(fullname)
        return found[0]

    def get_code(self, fullname):
        try:
            found = _source_entry(self, fullname)
            if found is None:
                return super().get_code(fullname)
            path = found[0]
            source = self.get_data(path)
        except Exception:
            return super().get_code(fullname)
        source = source.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        inner = path[len(self.archive) :].strip(os.sep).replace(os.sep, "%")
        tag = f"{sys.implementation.cache_tag}.opt{sys.flags.optimize}"
        cached = os.path.join(self.cache_dir, f"{inner}.{tag}")
        try:
            if not _trusted(self.cache_dir):
                raise OSError("cache directory not owned by this user alone")
            with open(cached, "rb") as handle:
                kept_source, code = marshal.load(handle)
            if kept_source == source and isinstance(code, types.CodeType):
                return code if code.co_filename == path else _retarget(code, path)
        except (OSError, EOFError, ValueError, TypeError):
            pass
        code = compile(source, path, "exec", dont_inherit=True)
        self._store(cached, source, code)
        return code

    def _store(self, cached, source, code):
        try:
            os.makedirs(self.cache_dir, mode=0o700, exist_ok=True)
            partial = f"{cached}.{os.getpid()}"
            with open(partial, "wb") as handle:
                marshal.dump((source, code), handle)
            os.replace(partial, cached)
        except OSError:
            pass


def install():
    """Put CachingZipImporter in place of zipimport's importer for new path entries."""
    hooks = sys.path_hooks
    for index, hook in enumerate(hooks):
        if hook is zipimport.zipimporter:
            hooks[index] = CachingZipImporter
            break
    else:
        return
    for entry, finder in list(sys.path_importer_cache.items()):
        if type(finder) is zipimport.zipimporter:
            del sys.path_importer_cache[entry]
