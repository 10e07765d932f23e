"""Benchmark 2: the exec storm. Two workers fork+exec /bin/true for a fixed
count under no agent, vigild (base sensor, no policies, one gRPC subscriber
counting the storm's events: bench/subscriber/), bpftrace (exec.bt, output to
a file) and execsnoop (output to a file), alternating configurations round
by round.
A diagnostic configuration, vigil_nosub (vigild with no subscriber), splits
the agent's cost between the kernel + drain side and the gRPC side."""
from __future__ import annotations

import secrets

from . import agents
from .common import BenchError, Env, median, proc_cpu_s, run, table

CONFIGS = ["none", "vigil", "bpftrace", "execsnoop", "vigil_nosub"]
QUICK_CONFIGS = CONFIGS[:4]  # the diagnostic is left out of a quick run


def storm(env: Env, count: int, seconds: float, marker: str) -> dict:
    out = run([env.prog("exec_storm"), 2, count, seconds, marker], 3600, "exec storm")
    f = out.split()
    return {"spawned": int(f[1]), "seconds": float(f[3]), "per_s": float(f[5]), "failed": int(f[7])}


def subscribe_storm(env: Env, agent: agents.Vigild, marker: str) -> agents.Subscriber:
    """A gRPC subscriber counting the storm's /bin/true execs and exits,
    proven live first (with a probe exec that does not carry the marker)."""
    return agents.Subscriber(env, agent, ["--storm", marker]).start_live(
        lambda: run(["/bin/true", "vigil-bench-probe"], 10, "probe exec"))


def run_suite(env: Env) -> dict:
    rounds = 2 if env.quick else 3
    count = 2000 if env.quick else 6000
    configs = QUICK_CONFIGS if env.quick else CONFIGS
    probes = [c for c in configs if c != "none"]
    rates = {c: [] for c in configs}
    # Paired design, as in the syscall suite: each configuration's storm
    # follows a storm with no agent, and its figure is the ratio of the two,
    # so other tenants' load on this 2-CPU machine cancels pair by pair.
    ratios = {c: [] for c in probes}
    vigil_runs = []
    for r in range(rounds):
        order = probes[r % len(probes):] + probes[:r % len(probes)]
        env.log(f"exec storm round {r + 1}/{rounds}: {' '.join(order)} (each after a storm "
                "with none)")
        for config in order:
            base = storm(env, count, 0, f"vigil-bench-{secrets.token_hex(6)}")["per_s"]
            rates["none"].append(base)
            marker = f"vigil-bench-{secrets.token_hex(6)}"
            handles, stream, agent = [], None, None
            try:
                if config.startswith("vigil"):
                    agent = agents.Vigild(env, f"vigild-exec-{config}-{r}").start()
                    handles.append(agent)
                    if config == "vigil":
                        stream = subscribe_storm(env, agent, marker)
                elif config == "bpftrace":
                    handles.append(agents.bpftrace(env, "exec.bt", f"bpftrace-exec-{r}"))
                elif config == "execsnoop":
                    handles.append(agents.execsnoop(env))
                cpu0 = proc_cpu_s(agent.pid) if agent else 0.0
                sub0 = proc_cpu_s(stream.pid) if stream else 0.0
                res = storm(env, count, 0, marker)
                rates[config].append(res["per_s"])
                ratios[config].append(res["per_s"] / base)
                if stream:
                    stream.wait_quiet()
                if agent:
                    cpu = proc_cpu_s(agent.pid) - cpu0
                    sub_cpu = proc_cpu_s(stream.pid) - sub0 if stream else 0.0
            finally:
                if stream:
                    stream.stop()
                for h in handles:
                    h.stop()
            if config == "vigil":
                t = stream.totals()
                vigil_runs.append({"spawned": res["spawned"], "exec_events": t.get("storm_exec", 0),
                                   "exit_events": t.get("storm_exit", 0),
                                   "lost_counted": agent.lost(), "vigild_cpu_s": cpu,
                                   "subscriber_cpu_s": sub_cpu, "storm_s": res["seconds"]})
            elif config == "vigil_nosub":
                vigil_runs.append({"nosub_vigild_cpu_s": cpu, "nosub_spawned": res["spawned"],
                                   "storm_s": res["seconds"]})

    med = {c: median(v) for c, v in rates.items()}
    rat = {c: median(v) for c, v in ratios.items()}
    sub_runs = [v for v in vigil_runs if "spawned" in v]
    lost = sum(max(0, v["spawned"] - v["exec_events"]) + max(0, v["spawned"] - v["exit_events"])
               for v in sub_runs)
    figures = {
        "exec_per_s_none": med["none"],
        "exec_per_s_vigil": med["vigil"],
        "exec_per_s_bpftrace": med["bpftrace"],
        "exec_per_s_execsnoop": med["execsnoop"],
        # Paired ratios (each storm over the storm with no agent just before it).
        "exec_vigil_over_none": rat["vigil"],
        "exec_bpftrace_over_none": rat["bpftrace"],
        "exec_execsnoop_over_none": rat["execsnoop"],
        "exec_events_lost": lost,
        "exec_vigild_cpu_us_per_exec": median(
            v["vigild_cpu_s"] * 1e6 / v["spawned"] for v in sub_runs),
        "exec_subscriber_cpu_us_per_exec": median(
            v["subscriber_cpu_s"] * 1e6 / v["spawned"] for v in sub_runs),
    }
    if "vigil_nosub" in rat:
        figures["exec_per_s_vigil_nosub"] = med["vigil_nosub"]
        figures["exec_vigil_nosub_over_none"] = rat["vigil_nosub"]
        figures["exec_vigild_nosub_cpu_us_per_exec"] = median(
            v["nosub_vigild_cpu_s"] * 1e6 / v["nosub_spawned"] for v in vigil_runs
            if "nosub_spawned" in v)
    env.log(table("Exec storm (fork+exec /bin/true, 2 workers; median execs per second; "
                  "ratio = median of paired storm/none ratios; vigil_nosub = vigild without a "
                  "gRPC subscriber, a diagnostic)",
                  ["config", "exec/s", "ratio vs none"],
                  [["none", med["none"], 1.0]] + [[c, med[c], rat[c]] for c in probes]))
    env.log(table("vigild exec/exit events over gRPC (per round; CPU seconds during the storm)",
                  ["spawned", "exec events", "exit events", "counted lost", "vigild CPU s",
                   "subscriber CPU s", "storm s"],
                  [[v["spawned"], v["exec_events"], v["exit_events"], v["lost_counted"],
                    v["vigild_cpu_s"], v["subscriber_cpu_s"], v["storm_s"]] for v in sub_runs]))
    return {"figures": figures,
            "details": {"rates": rates, "ratios": ratios, "vigil_runs": vigil_runs,
                        "count": count, "rounds": rounds}}
