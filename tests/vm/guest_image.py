"""The guest's root file system for the VM tests: what goes into the initramfs, and where.

Everything keeps its host path: the build tree (the kernel tests find vigild through the
VIGIL_BUILD_DIR compiled into them), the source-tree files the tests read through
VIGIL_SOURCE_DIR, host programs the tests run, and every shared library those need.
"""

import os

import initramfs
import test_needs

HERE = os.path.dirname(os.path.abspath(__file__))
BUSYBOX = "/bin/busybox"  # Debian's busybox-static: no libraries to carry
# Run by the tests without a literal path in their sources (`/usr/bin/env bpftool`).
BASE_PROGRAMS = ["/usr/bin/env", "/usr/sbin/bpftool"]


def build_products(build_dir):
    progs_dir = os.path.join(build_dir, "tests", "progs")
    paths = [os.path.join(build_dir, "vigild"), os.path.join(build_dir, "vigil"),
             os.path.join(build_dir, "tests", "vigil_kernel_tests")]
    if os.path.isdir(progs_dir):
        paths += [os.path.join(progs_dir, n) for n in sorted(os.listdir(progs_dir))
                  if os.access(os.path.join(progs_dir, n), os.X_OK)]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise SystemExit(f"vm: missing build products (build first: cmake --build {build_dir}): "
                         + ", ".join(missing))
    return paths


def write_initramfs(path, build_dir, gtest_filter, feature_timeout):
    """The guest's root file system; see initramfs.py for the layout rules."""
    archive = initramfs.Archive(path)
    for d in ["dev", "proc", "sys", "run", "root", "etc", "var"]:
        archive.directory(d)
    archive.directory("tmp", 0o1777)
    archive.char_device("dev/console", 5, 1)
    archive.char_device("dev/null", 1, 3, 0o666)

    with open(BUSYBOX, "rb") as f:
        archive.file("opt/vigil-vm/busybox", f.read(), 0o755)
    for applet in initramfs.busybox_applets(BUSYBOX):
        archive.symlink(f"opt/vigil-vm/bin/{applet}", "../busybox")
    with open(os.path.join(HERE, "guest_init.sh"), "rb") as f:
        archive.file("init", f.read(), 0o755)
    if "'" in build_dir + gtest_filter:
        raise SystemExit("vm: the build dir and gtest filter may not contain a single quote")
    archive.file("etc/vigil-vm.conf", (
        f"VIGIL_BUILD_DIR='{build_dir}'\n"
        f"VIGIL_GTEST_FILTER='{gtest_filter}'\n"
        f"VIGIL_FEATURE_TIMEOUT={feature_timeout}\n").encode())
    archive.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
                               b"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
    archive.file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    archive.file("etc/hosts", b"127.0.0.1 localhost vigil-vm\n::1 localhost\n")
    if os.path.exists("/etc/ld.so.cache"):
        initramfs.add_host_path(archive, "/etc/ld.so.cache")

    binaries = build_products(build_dir)
    for b in binaries:
        initramfs.add_host_path(archive, b, strip=True)
    bpf_object = os.path.join(build_dir, "bpf", "vigil.bpf.o")  # for the guest's diagnosis
    if os.path.isfile(bpf_object):
        initramfs.add_host_path(archive, bpf_object)
    source_dir = test_needs.source_dir_of(build_dir)
    programs, source_entries = test_needs.from_sources(os.path.join(source_dir, "tests", "kernel"))
    programs = sorted(set(programs + BASE_PROGRAMS))
    for p in programs:
        if not os.path.exists(p):
            raise SystemExit(f"vm: the kernel tests run {p}, which this host lacks")
        initramfs.add_host_path(archive, p)
    for entry in source_entries:
        if os.path.exists(os.path.join(source_dir, entry)):
            initramfs.add_host_tree(archive, os.path.join(source_dir, entry))
    for b in binaries + programs:
        for lib in initramfs.shared_libraries(b):
            initramfs.add_host_path(archive, lib)
    archive.close()
