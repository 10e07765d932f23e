"""Benchmark 5: filter where it is cheap. openat() of varied paths with one
sensitive path among them, under no agent, vigild filtering in the kernel
(openat_kernel.yaml: only the sensitive path is posted) and vigild posting
every openat for a gRPC subscriber (bench/subscriber/) to filter in user
space (openat_user.yaml). Detections are counted by that subscriber."""
from __future__ import annotations

import shutil
from pathlib import Path

from . import agents
from .common import BenchError, Env, median, run, table

CONFIGS = ["none", "kernel", "user"]
DIR = Path("/tmp/vigil-bench-openat")  # fixed: the policies name it
SECRET = str(DIR / "secret")


def run_suite(env: Env) -> dict:
    rounds = 1 if env.quick else 3
    calls = 100_000 if env.quick else 1_000_000
    every = 10_000
    shutil.rmtree(DIR, ignore_errors=True)
    DIR.mkdir(parents=True)
    ns = {c: [] for c in CONFIGS}
    detected = {"kernel": [0, 0], "user": [0, 0]}  # [seen, expected]
    lost = {"kernel": 0, "user": 0}
    for r in range(rounds):
        order = CONFIGS[r % len(CONFIGS):] + CONFIGS[:r % len(CONFIGS)]
        env.log(f"openat round {r + 1}/{rounds}: {' '.join(order)}")
        for config in order:
            agent = stream = None
            try:
                if config != "none":
                    agent = agents.Vigild(env, f"vigild-openat-{config}-{r}",
                                          [env.policy(f"openat_{config}.yaml")]).start()
                    stream = agents.Subscriber(env, agent, ["--path", SECRET]).start_live(
                        lambda: run(["/bin/true"], 10, "probe exec"))
                out = run(env.pinned([env.prog("open_loop"), DIR, calls, every]), 1800,
                          "openat loop").split()
                ns[config].append(float(out[7]))
                sensitive = int(out[3])
                if stream:
                    stream.wait_quiet(quiet_s=2)
            finally:
                if stream:
                    stream.stop()
                if agent:
                    agent.stop()
            if config != "none":
                detected[config][0] += stream.totals().get("path_hits", 0)
                detected[config][1] += sensitive
                lost[config] += agent.lost()
    shutil.rmtree(DIR, ignore_errors=True)

    med = {c: median(v) for c, v in ns.items()}
    figures = {
        "openat_none_ns": med["none"],
        "openat_kernel_filter_ratio": med["none"] / med["kernel"],
        "openat_user_filter_ratio": med["none"] / med["user"],
        "openat_kernel_detections": detected["kernel"][0],
        "openat_user_detections": detected["user"][0],
        "openat_sensitive_opens": detected["kernel"][1],
    }
    env.log(table(f"openat filter ({calls:,} opens per run, 1 in {every:,} sensitive; "
                  "ratio = workload speed vs no agent)",
                  ["mode", "ns/open", "speed ratio", "detected", "expected", "counted lost"],
                  [["none", med["none"], 1.0, "-", "-", "-"]] +
                  [[c, med[c], med["none"] / med[c], detected[c][0], detected[c][1], lost[c]]
                   for c in ("kernel", "user")]))
    return {"figures": figures,
            "details": {"ns": ns, "detected": detected, "lost_counted": lost, "calls": calls,
                        "rounds": rounds}}
