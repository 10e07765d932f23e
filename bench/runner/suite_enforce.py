"""Benchmark 6: enforcement. A victim writes to a protected file and then, if
still alive, appends a marker line elsewhere. With enforce_kernel.yaml the
kernel kills it at the write's entry; with enforce_user.yaml a user-space
killer (bench/subscriber/ --kill) reads the event over gRPC and calls kill(),
for contrast. Latency is from the hook's timestamp (the kprobe event) to the
victim's exit (the exit event), both stamped by the kernel on one clock."""
from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

from . import agents
from .common import BenchError, Env, run, table

DIR = Path("/tmp/vigil-bench-enforce")  # fixed: the policies name it
PROTECTED = DIR / "protected"
MARKER = DIR / "markers"


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def _victims(env: Env, mode: str, n: int) -> dict:
    agent = agents.Vigild(env, f"vigild-enforce-{mode}",
                          [env.policy(f"enforce_{mode}.yaml")]).start()
    kills, pids = 0, []
    try:
        args = ["--victims", "vigil_bench_victim"] + (["--kill"] if mode == "user" else [])
        sub = agents.Subscriber(env, agent, args).start_live(
            lambda: run(["/bin/true"], 10, "probe exec"))
        linger = 2000 if mode == "user" else 0  # ms the victim waits for a user-space kill
        try:
            for _ in range(n):
                p = subprocess.Popen([str(env.prog("victim")), str(PROTECTED), str(MARKER),
                                      str(linger)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
                pids.append(int(p.stdout.readline()))
                p.stdin.write("g")
                p.stdin.flush()
                if p.wait(timeout=30) == -signal.SIGKILL:
                    kills += 1
            sub.wait_quiet()
        finally:
            sub.stop()
    finally:
        agent.stop()
    hook_ns, exit_ns = {}, {}
    for f in sub.lines():
        if f[0] == "hook":
            hook_ns.setdefault(int(f[1]), int(f[2]))
        elif f[0] == "exit":
            exit_ns[int(f[1])] = int(f[2])
    markers = MARKER.read_text().splitlines() if MARKER.exists() else []
    alive = {int(l.split()[1]) for l in markers if l.startswith("alive ")}
    lat = [(exit_ns[p] - hook_ns[p]) / 1000 for p in pids if p in exit_ns and p in hook_ns]
    return {"victims": n, "kills": kills, "markers_after_violation": len(alive & set(pids)),
            "latencies_us": lat, "events_missing": n - len(lat), "lost_counted": agent.lost()}


def run_suite(env: Env) -> dict:
    n = 20 if env.quick else 50
    results = {}
    for mode in ("kernel", "user"):
        shutil.rmtree(DIR, ignore_errors=True)
        DIR.mkdir(parents=True)
        results[mode] = _victims(env, mode, n)
    shutil.rmtree(DIR, ignore_errors=True)
    k, u = results["kernel"], results["user"]
    figures = {
        "kills": k["kills"],
        "markers_after_violation": k["markers_after_violation"],
        "kill_latency_p50_us": percentile(k["latencies_us"], 50),
        "kill_latency_p99_us": percentile(k["latencies_us"], 99),
        "user_kills": u["kills"],
        "user_markers_after_violation": u["markers_after_violation"],
        "user_kill_latency_p50_us": percentile(u["latencies_us"], 50),
        "user_kill_latency_p99_us": percentile(u["latencies_us"], 99),
    }
    env.log(table(f"Enforcement ({n} victims per mode; latency = hook time to exit time)",
                  ["killer", "kills", "markers after violation", "p50 us", "p99 us",
                   "events missing"],
                  [[m, r["kills"], r["markers_after_violation"],
                    percentile(r["latencies_us"], 50), percentile(r["latencies_us"], 99),
                    r["events_missing"]] for m, r in results.items()]))
    for r in results.values():
        r["latencies_us"] = [round(x, 1) for x in r["latencies_us"]]
    return {"figures": figures, "details": results}
