"""BPF objects a process holds, read from /proc/<pid>/fdinfo (bpftool's
per-process listing needs a bpftool built with BPF iterators; Debian's is
not): per-program run time (with kernel.bpf_stats_enabled) and map memory.

Stats add two clock reads per program run, so they are on only for the
pass that reads them, never while loops are timed."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .common import BenchError

_SYSCTL = Path("/proc/sys/kernel/bpf_stats_enabled")


@contextlib.contextmanager
def enabled():
    old = _SYSCTL.read_text().strip()
    _SYSCTL.write_text("1")
    try:
        yield
    finally:
        _SYSCTL.write_text(old)


def _fdinfos(pid: int, kind: str) -> list[dict[str, str]]:
    """fdinfo fields of pid's file descriptors that are BPF objects of `kind`
    ('bpf-prog' or 'bpf-map'), one dict per distinct object."""
    out, seen = [], set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(fd_dir / fd) != f"anon_inode:{kind}":
                continue
            text = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
        except OSError:
            continue  # closed meanwhile
        info = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        info = {k.strip(): v.strip() for k, v in info.items()}
        key = info.get("prog_id") or info.get("map_id")
        if key not in seen:
            seen.add(key)
            out.append(info)
    return out


def snapshot(pid: int, tag: str | None = None) -> dict[str, tuple[int, int]]:
    """prog id -> (run_cnt, run_time_ns) for the programs pid holds (those
    whose tag matches, when given: `bpftool prog show` lists tags by name)."""
    progs = {}
    for info in _fdinfos(pid, "bpf-prog"):
        if tag and info.get("prog_tag") != tag:
            continue
        progs[info["prog_id"]] = (int(info.get("run_cnt", 0)), int(info.get("run_time_ns", 0)))
    if not progs:
        raise BenchError(f"no BPF program{' with tag ' + tag if tag else ''} held by pid {pid}")
    return progs


def busiest(before: dict, after: dict) -> tuple[float, int]:
    """ns per run of the program that ran most between two snapshots, and its runs."""
    best = (float("nan"), 0)
    for pid_, (cnt, ns) in after.items():
        c0, n0 = before.get(pid_, (0, 0))
        if cnt - c0 > best[1]:
            best = ((ns - n0) / (cnt - c0), cnt - c0)
    return best


def map_memlock_bytes(pid: int) -> int:
    """Kernel memory charged to the BPF maps pid holds (fdinfo 'memlock')."""
    return sum(int(m.get("memlock", 0)) for m in _fdinfos(pid, "bpf-map"))


def percpu_sums(pid: int, map_name: str) -> dict[int, int]:
    """key -> value summed over CPUs, for the per-CPU array map_name that pid
    holds (bpftool shows map names cut to 15 characters)."""
    import json
    import subprocess
    ids = {i.get("map_id") for i in _fdinfos(pid, "bpf-map")}
    shown = subprocess.run(["bpftool", "-j", "map", "show"], capture_output=True, text=True)
    if shown.returncode != 0:
        raise BenchError(f"bpftool map show: {shown.stderr.strip()}")
    match = [m["id"] for m in json.loads(shown.stdout)
             if str(m["id"]) in ids and m.get("name") == map_name[:15]]
    if not match:
        raise BenchError(f"no map '{map_name}' held by pid {pid}")
    dump = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(match[0])],
                          capture_output=True, text=True)
    if dump.returncode != 0:
        raise BenchError(f"bpftool map dump id {match[0]}: {dump.stderr.strip()}")
    out = {}
    for e in json.loads(dump.stdout):
        f = e["formatted"]
        out[int(f["key"])] = sum(int(v["value"]) for v in f["values"])
    return out
