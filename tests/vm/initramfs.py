"""Builds the VM guest's initramfs: an uncompressed newc cpio archive written directly.

Writing the archive ourselves (instead of staging a tree for `cpio`) lets it hold device nodes,
root-owned files and /tmp's sticky bit without the runner being root. It is left uncompressed
because the guest runs under TCG, where gunzipping ~100 MB costs more boot time than loading it.

Host files are copied to the same paths inside the guest, symlinks included (so /bin -> usr/bin
on a merged-/usr host stays a symlink and `canonical("/bin/true")` is the same in both places),
and so is the build tree: the kernel tests find vigild through the VIGIL_BUILD_DIR compiled into
them.
"""

import os
import re
import stat
import subprocess
import tempfile

_NEWC_MAGIC = b"070701"


class Archive:
    """A newc cpio archive being written to `path`; entries are added once (first wins)."""

    def __init__(self, path):
        self._out = open(path, "wb")
        self._ino = 1
        self._seen = set()

    def close(self):
        self._entry("TRAILER!!!", 0, b"")
        # The kernel reads the archive in 512-byte blocks, like cpio writes it.
        pad = (-self._out.tell()) % 512
        self._out.write(b"\0" * pad)
        self._out.close()

    def has(self, path):
        return path.strip("/") in self._seen

    def directory(self, path, mode=0o755):
        self._add(path, stat.S_IFDIR | mode, b"")

    def file(self, path, data, mode=0o644):
        self._add(path, stat.S_IFREG | mode, data)

    def symlink(self, path, target):
        self._add(path, stat.S_IFLNK | 0o777, target.encode())

    def char_device(self, path, major, minor, mode=0o600):
        self._add(path, stat.S_IFCHR | mode, b"", rdev=(major, minor))

    def _add(self, path, mode, data, rdev=(0, 0)):
        name = path.strip("/")
        if name in self._seen:
            return
        parent = os.path.dirname(name)
        if parent and parent not in self._seen:
            self.directory(parent)
        self._seen.add(name)
        self._entry(name, mode, data, rdev)

    def _entry(self, name, mode, data, rdev=(0, 0)):
        encoded = name.encode() + b"\0"
        fields = [self._ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        self._ino += 1
        header = _NEWC_MAGIC + b"".join(b"%08X" % f for f in fields)
        self._out.write(header + encoded)
        self._out.write(b"\0" * ((-(len(header) + len(encoded))) % 4))
        self._out.write(data)
        self._out.write(b"\0" * ((-len(data)) % 4))


def add_host_path(archive, path, strip=False):
    """Copies host `path` into the archive at the same place, replicating every symlink met
    while resolving it (parent directories included), so paths resolve identically."""
    parts = [p for p in os.path.abspath(path).split("/") if p]
    current = ""
    while parts:
        current += "/" + parts.pop(0)
        st = os.lstat(current)
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(current)
            archive.symlink(current, target)
            resolved = os.path.normpath(os.path.join(os.path.dirname(current), target))
            parts = [p for p in resolved.split("/") if p] + parts
            current = ""
        elif stat.S_ISDIR(st.st_mode):
            if not archive.has(current):
                archive.directory(current, stat.S_IMODE(st.st_mode) | 0o555)
        elif parts:
            raise FileNotFoundError(f"{path}: {current} is not a directory")
        elif not archive.has(current):
            archive.file(current, _read(current, strip), stat.S_IMODE(st.st_mode))


def add_host_tree(archive, path):
    """add_host_path for `path` and, if it is a directory, everything under it."""
    add_host_path(archive, path)
    real = os.path.realpath(path)
    if os.path.isdir(real):
        for top, dirs, files in os.walk(real):
            for name in sorted(dirs) + sorted(files):
                add_host_path(archive, os.path.join(top, name))


def _read(path, strip):
    """The file's bytes; with `strip`, an ELF without debug info (the guest never needs it and
    it triples the archive)."""
    if strip:
        with tempfile.TemporaryDirectory(prefix="vigil-vm-strip-") as tmp:
            stripped = os.path.join(tmp, os.path.basename(path))
            result = subprocess.run(["objcopy", "--strip-debug", path, stripped],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"objcopy --strip-debug {path}: {result.stderr.strip()}")
            with open(stripped, "rb") as f:
                return f.read()
    with open(path, "rb") as f:
        return f.read()


_LDD_LINE = re.compile(r"^\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)\s*$")


def shared_libraries(binary):
    """Absolute paths of the shared libraries (and the loader) `binary` needs, from ldd.
    Empty for a static binary; raises if a library is missing on the host."""
    result = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if "not a dynamic executable" in result.stdout + result.stderr:
        return []
    if result.returncode != 0:
        raise RuntimeError(f"ldd {binary} failed: {result.stderr.strip()}")
    libs = []
    for line in result.stdout.splitlines():
        if "=> not found" in line:
            raise RuntimeError(f"{binary}: shared library missing on the host: {line.strip()}")
        m = _LDD_LINE.match(line)
        if m:
            libs.append(m.group(1))
    return libs


def busybox_applets(busybox):
    out = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout
    return [a for a in out.split() if a and "/" not in a]
