"""Benchmark 4: footprint. vigild's RSS idle on a machine with ~1,000
processes, then during and after an exec storm plus a steady file writer
under a write policy; agent CPU per delivered event over the load."""
from __future__ import annotations

import secrets
import shutil
import subprocess
import threading
import time
from pathlib import Path

from . import agents, bpfstats
from .common import Background, Env, proc_cpu_s, proc_rss_kb, process_count, table
from .suite_exec import storm, subscribe_storm

DIR = Path("/tmp/vigil-bench-footprint")  # fixed: footprint_writes.yaml names it
TARGET_PROCESSES = 1000


def _settle(pid: int, seconds: float) -> float:
    """RSS (MB) once it has not moved for `seconds` (at most 30 s of waiting)."""
    deadline = time.monotonic() + 30
    last, since = proc_rss_kb(pid), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < seconds:
        time.sleep(0.25)
        cur = proc_rss_kb(pid)
        if abs(cur - last) > 64:
            last, since = cur, time.monotonic()
    return proc_rss_kb(pid) / 1024


def _delivered(stream: agents.Subscriber) -> int:
    """Events the subscriber has received so far (its last progress line,
    printed at most every 200 ms: good enough for the start of the load)."""
    n = 0
    for f in stream.lines():
        if f[0] in ("n", "events") and len(f) == 2:
            n = int(f[1])
    return n


def run_suite(env: Env) -> dict:
    duration = 20.0 if env.quick else 300.0
    write_rate = 1000
    shutil.rmtree(DIR, ignore_errors=True)
    DIR.mkdir(parents=True)
    extra = max(0, TARGET_PROCESSES - process_count())
    population = Background("idle-population", [str(env.prog("idle_population")), str(extra)],
                            env.work_dir / "logs").start("ready", timeout=120) if extra else None
    agent = stream = None
    try:
        procs = process_count()
        agent = agents.Vigild(env, "vigild-footprint", [env.policy("footprint_writes.yaml")]).start()
        rss_idle = _settle(agent.pid, 3)
        maps_idle = bpfstats.map_memlock_bytes(agent.pid) / 2**20
        marker = f"vigil-bench-{secrets.token_hex(6)}"
        stream = subscribe_storm(env, agent, marker)

        samples: list[tuple[float, float]] = []  # (seconds into the load, RSS MB)
        stop = threading.Event()

        def sample() -> None:
            t0 = time.monotonic()
            while not stop.wait(1.0):
                samples.append((time.monotonic() - t0, proc_rss_kb(agent.pid) / 1024))
        sampler = threading.Thread(target=sample, daemon=True)
        events0, cpu0 = _delivered(stream), proc_cpu_s(agent.pid)
        sampler.start()
        writer = subprocess.Popen([str(env.prog("paced_writer")), str(DIR / "log"),
                                   str(write_rate), str(duration)], stdout=subprocess.PIPE,
                                  text=True)
        res = storm(env, 0, duration, marker)
        writes = int(writer.communicate(timeout=duration + 60)[0].split()[1])
        n = res["spawned"]
        stream.wait_quiet()
        stop.set()
        sampler.join()
        cpu = proc_cpu_s(agent.pid) - cpu0
        rss_end = proc_rss_kb(agent.pid) / 1024
        rss_after = _settle(agent.pid, 3)
        maps_after = bpfstats.map_memlock_bytes(agent.pid) / 2**20
        stream.stop()  # prints its totals
        delivered = stream.totals()["events"] - events0
    finally:
        if stream:
            stream.stop()
        if agent:
            agent.stop()
        if population:
            population.stop()
        shutil.rmtree(DIR, ignore_errors=True)

    # Growth: from the end of the first fifth of the load (caches warm) to
    # the end; a leak shows as a slope, a warm-up does not.
    warm = [mb for t, mb in samples if t <= duration / 5] or [rss_idle]
    rss_load = max([mb for _, mb in samples] + [rss_end])
    figures = {
        "rss_idle_mb": rss_idle,
        "rss_load_mb": rss_load,
        "rss_growth_mb": rss_end - warm[-1],
        "rss_after_load_mb": rss_after,
        "bpf_maps_idle_mb": maps_idle,
        "bpf_maps_after_load_mb": maps_after,
        "cpu_us_per_event": cpu * 1e6 / delivered if delivered else float("nan"),
        "footprint_processes": procs,
        "footprint_load_s": duration,
        "footprint_execs": n,
        "footprint_events_delivered": delivered,
    }
    env.log(table(f"Footprint ({procs} processes; load: {duration:.0f} s exec storm + "
                  f"{write_rate} writes/s under a write policy)",
                  ["RSS idle MB", "RSS load max MB", "growth MB", "RSS after MB",
                   "BPF maps MB", "execs", "events", "agent CPU s", "us/event"],
                  [[rss_idle, rss_load, figures["rss_growth_mb"], rss_after, maps_after, n,
                    delivered, cpu,
                    figures["cpu_us_per_event"]]]))
    return {"figures": figures,
            "details": {"rss_samples_mb": [(round(t, 1), round(mb, 2)) for t, mb in samples],
                        "storm": res, "writes": writes,
                        "storm_events": stream.totals() if stream else None,
                        "lost_counted": agent.lost() if agent and agent.summary else None}}
