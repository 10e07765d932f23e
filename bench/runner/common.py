"""Shared helpers: paths, child processes with readiness checks, medians, tables."""
from __future__ import annotations

import os
import platform
import signal
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence


class BenchError(RuntimeError):
    """A benchmark could not run; the message says what and where."""


@dataclass
class Env:
    source_dir: Path
    build_dir: Path
    work_dir: Path          # scratch files of this run
    quick: bool
    pin_cpu: int            # the CPU the measured workload is pinned to
    log: Callable[[str], None] = print

    @property
    def bin_dir(self) -> Path:
        return self.build_dir / "bench" / "bin"

    def prog(self, name: str) -> Path:
        path = self.bin_dir / f"vigil_bench_{name}"
        if not path.exists():
            raise BenchError(f"{path} is missing: build the vigil_bench_all target first")
        return path

    @property
    def vigild(self) -> Path:
        return self.build_dir / "vigild"

    @property
    def vigil(self) -> Path:
        return self.build_dir / "vigil"

    def policy(self, name: str) -> Path:
        return self.source_dir / "bench" / "policies" / name

    def bpftrace_script(self, name: str) -> Path:
        return self.source_dir / "bench" / "bpftrace" / name

    def pinned(self, cmd: Sequence[str]) -> list[str]:
        return ["taskset", "-c", str(self.pin_cpu), *map(str, cmd)]


def median(xs: Iterable[float]) -> float:
    xs = list(xs)
    if not xs:
        raise BenchError("median of no samples")
    return statistics.median(xs)


def run(cmd: Sequence[str], timeout: float, what: str, env: dict | None = None) -> str:
    """Runs cmd to completion; returns stdout; raises with stderr on failure."""
    try:
        p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                           env=env)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"{what}: still running after {timeout:.0f} s: {' '.join(map(str, cmd))}") from e
    if p.returncode != 0:
        raise BenchError(f"{what}: exit {p.returncode}: {' '.join(map(str, cmd))}\n{p.stderr[-2000:]}")
    return p.stdout


def wait_until(pred: Callable[[], bool], timeout: float, what: str,
               alive: Callable[[], bool] | None = None, poll: float = 0.02) -> None:
    """Polls pred until it holds; fails after timeout or when alive() turns false."""
    deadline = time.monotonic() + timeout
    while not pred():
        if alive is not None and not alive():
            raise BenchError(f"{what}: the process exited while waiting")
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: not seen within {timeout:.0f} s")
        time.sleep(poll)


def clean_env() -> dict:
    """The environment without VIGIL_* variables (vigild reads its flags from them)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}


@dataclass
class Background:
    """A long-running child whose stdout/stderr go to log files. stdin is a pipe
    that stays open, so helpers that stop when stdin closes die with the runner."""
    name: str
    cmd: list[str]
    log_dir: Path
    env: dict | None = None
    proc: subprocess.Popen | None = field(default=None, init=False)

    @property
    def out_path(self) -> Path:
        return self.log_dir / f"{self.name}.out"

    @property
    def err_path(self) -> Path:
        return self.log_dir / f"{self.name}.err"

    def start(self, ready_text: str | None = None, ready_in: str = "out",
              timeout: float = 60) -> "Background":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.out_path, "w")
        err = open(self.err_path, "w")
        self.proc = subprocess.Popen([str(c) for c in self.cmd], stdin=subprocess.PIPE,
                                     stdout=out, stderr=err, env=self.env, start_new_session=True)
        out.close()
        err.close()
        if ready_text:
            path = self.out_path if ready_in == "out" else self.err_path
            try:
                wait_until(lambda: ready_text in path.read_text(errors="replace"), timeout,
                           f"{self.name}: '{ready_text}' in {path}", self.alive)
            except BenchError as e:
                tail = self.err_path.read_text(errors="replace")[-1500:]
                self.stop()
                raise BenchError(f"{e}\n{self.name} stderr:\n{tail}") from None
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        """Signals the child, waits, SIGKILLs it if it does not go. Returns its status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        return self.proc.returncode


def proc_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"/proc/{pid}/status has no VmRSS")


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a process, all threads, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_count() -> int:
    return sum(1 for d in os.listdir("/proc") if d.isdigit())


def machine_info() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    os_name = "unknown"
    osr = Path("/etc/os-release")
    if osr.exists():
        for line in osr.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return {
        "kernel": platform.release(),
        "kernel_version": platform.version(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": os_name,
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def table(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[fmt(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.rjust(w) if i else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    out = [f"\n== {title}", line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def fmt(v: object) -> str:
    if isinstance(v, float):
        if v != v:  # NaN
            return "n/a"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.3f}"
    return str(v)
