"""The processes under test: vigild (and a gRPC subscriber to it), the floor
programs, bpftrace and execsnoop. Each starts, waits until its probes are
attached, and stops cleanly."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Callable, Sequence

from .common import Background, BenchError, Env, clean_env, wait_until

_STOPPED = re.compile(
    r"stopped: (\d+) exec, (\d+) exit, (\d+) procFS events; ring buffer full (\d+), "
    r"undecodable records (\d+), subscriber drops (\d+), export errors (\d+)")


class Vigild(Background):
    """vigild with its own socket, run dir and state dir; no default policy dir."""

    def __init__(self, env: Env, name: str, policies: Sequence[Path] = (),
                 extra: Sequence[str] = ()):
        self.run_dir = env.work_dir / f"{name}-run"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.address = f"unix://{self.run_dir}/vigil.sock"
        cmd = [str(env.vigild), "--server-address", self.address, "--run-dir", str(self.run_dir),
               "--state-dir", str(self.run_dir / "state"),
               "--tracing-policy-dir=/nonexistent", "--print-events", "none"]
        for p in policies:
            cmd += ["--tracing-policy", str(p)]
        cmd += list(extra)
        super().__init__(name, cmd, env.work_dir / "logs", env=clean_env())
        self.summary: dict | None = None
        self.kernel_rb_full: int | None = None
        self.kernel_posted: int | None = None

    def start(self, timeout: float = 90) -> "Vigild":  # type: ignore[override]
        super().start("ready on node", ready_in="err", timeout=timeout)
        return self

    def stop(self, *args, **kwargs) -> int | None:  # type: ignore[override]
        if self.alive() and self.kernel_rb_full is None:
            try:
                self.read_kernel_counters()
            except BenchError as e:
                print(f"{self.name}: kernel counters not read: {e}")
        rc = super().stop(*args, **kwargs)
        m = _STOPPED.search(self.err_path.read_text(errors="replace"))
        if m:
            keys = ["exec", "exit", "procfs", "rb_full", "undecodable", "sub_drops", "export_errors"]
            self.summary = dict(zip(keys, map(int, m.groups())))
        return rc

    def read_kernel_counters(self) -> None:
        """Reads the BPF-side counters while vigild runs: ring-buffer-full
        losses (vigil_stats slot 0) and hook records posted (vigil_hook_stats
        POSTED slots). stop() calls it first: vigild's own 'stopped:' line
        reads its counters after the maps are gone, so it shows 0."""
        from . import bpfstats
        self.kernel_rb_full = bpfstats.percpu_sums(self.pid, "vigil_stats").get(0, 0)
        hook = bpfstats.percpu_sums(self.pid, "vigil_hook_stats")
        self.kernel_posted = sum(v for k, v in hook.items() if k % 4 == 1)

    def lost(self) -> int:
        """Events vigild counted as lost: ring buffer full (from the map when
        read_kernel_counters() ran), undecodable records, subscriber queue
        drops, export write errors."""
        if self.summary is None:
            raise BenchError(f"{self.name}: no 'stopped:' summary in {self.err_path}")
        s = self.summary
        rb = max(s["rb_full"], self.kernel_rb_full or 0)
        return rb + s["undecodable"] + s["sub_drops"] + s["export_errors"]


class Subscriber(Background):
    """vigil_bench_subscriber (bench/subscriber/) on a vigild's gRPC stream,
    its output in a file. See that file for the options and output lines."""

    def __init__(self, env: Env, agent: Vigild, args: Sequence[str] = ()):
        super().__init__(f"{agent.name}-sub", [str(env.prog("subscriber")), "--address",
                                               agent.address, *args], env.work_dir / "logs")

    def start_live(self, trigger: Callable[[], object], timeout: float = 30) -> "Subscriber":
        """Starts, then runs trigger() (something that makes an event, like
        an exec) until the first event arrives: the stream is up."""
        self.start()
        def live() -> bool:
            if "live" in self.out_path.read_text(errors="replace"):
                return True
            trigger()
            return False
        try:
            wait_until(live, timeout, f"{self.name}: first event", self.alive, poll=0.2)
        except BenchError:
            self.stop()
            raise
        return self

    def size(self) -> int:
        try:
            return self.out_path.stat().st_size
        except FileNotFoundError:
            return 0

    def wait_quiet(self, quiet_s: float = 1.5, timeout: float = 120) -> None:
        """Waits until no output for quiet_s seconds: vigild has sent what it had."""
        import time
        deadline = time.monotonic() + timeout
        last, last_change = self.size(), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last_change <= quiet_s:
            time.sleep(0.05)
            cur = self.size()
            if cur != last:
                last, last_change = cur, time.monotonic()

    def lines(self) -> list[list[str]]:
        return [l.split() for l in self.out_path.read_text(errors="replace").splitlines() if l]

    def totals(self) -> dict[str, int]:
        """The end-of-stream counters ("storm_exec", "path_hits", "events", ...)."""
        out = {}
        for f in self.lines():
            if len(f) == 2 and f[0] not in ("n",) and f[1].isdigit():
                out[f[0]] = int(f[1])
        if "events" not in out:
            raise BenchError(f"{self.name}: no end-of-stream totals in {self.out_path}")
        return out

    def per_pid(self) -> dict[int, int]:
        return {int(f[1]): int(f[2]) for f in self.lines() if f[0] == "kprobe_pid"}


def floor(env: Env, programs: Sequence[str]) -> Background:
    """The empty BPF programs: 'tp_write' and/or 'raw_sys_enter'."""
    name = "floor-" + "+".join(programs)
    return Background(name, [str(env.prog("floor")), *programs], env.work_dir / "logs").start(
        "attached", timeout=30)


def bpftrace(env: Env, script: str, name: str) -> Background:
    """bpftrace with a BEGIN probe that prints once every probe is attached."""
    exe = shutil.which("bpftrace")
    if not exe:
        raise BenchError("bpftrace is not installed (scripts/install-deps.sh --bench)")
    src = env.bpftrace_script(script).read_text()
    prog = env.work_dir / f"{name}.bt"
    prog.write_text('BEGIN { printf("vigil-bench-ready\\n"); }\n' + src)
    return Background(name, [exe, "-B", "line", str(prog)], env.work_dir / "logs").start(
        "vigil-bench-ready", timeout=60)


def execsnoop(env: Env) -> Background:
    """libbpf-tools' execsnoop (CO-RE); it prints its header once attached."""
    exe = shutil.which("execsnoop") or "/usr/sbin/execsnoop"
    if not Path(exe).exists():
        raise BenchError("execsnoop is not installed (libbpf-tools; scripts/install-deps.sh --bench)")
    # Its stdout is a file, so glibc buffers the header until 4 KiB of events follow; line
    # buffering (as bpftrace's -B line) lets the header say when the probes are attached.
    return Background("execsnoop", ["stdbuf", "-oL", exe], env.work_dir / "logs").start("PCOMM", timeout=60)


def event_time_ns(stamp: str) -> int:
    """RFC 3339 time with nanoseconds ("2024-05-01T10:00:00.123456789Z") -> ns since epoch."""
    from datetime import datetime, timezone
    base, _, frac = stamp.rstrip("Z").partition(".")
    secs = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    return int(secs) * 1_000_000_000 + int((frac + "000000000")[:9])


def parse(line: str) -> dict | None:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None
