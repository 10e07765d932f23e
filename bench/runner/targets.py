"""The issue's targets, checked against the figures. A target whose figures
are missing (suite not run or failed) is reported as not evaluated."""
from __future__ import annotations

import math
from typing import Callable

# (description, figures it needs, value shown, predicate)
TARGETS: list[tuple[str, list[str], Callable[[dict], float], Callable[[dict], bool]]] = [
    ("nomatch_over_floor <= 1.3", ["nomatch_over_floor"],
     lambda f: f["nomatch_over_floor"], lambda f: f["nomatch_over_floor"] <= 1.3),
    ("write_nomatch_ns < write_bpftrace_ns (value: nomatch/bpftrace)",
     ["write_nomatch_ns", "write_bpftrace_ns"],
     lambda f: f["write_nomatch_ns"] / f["write_bpftrace_ns"],
     lambda f: f["write_nomatch_ns"] < f["write_bpftrace_ns"]),
    ("write_match: every call delivered or counted lost", ["write_match_unaccounted"],
     lambda f: f["write_match_unaccounted"], lambda f: f["write_match_unaccounted"] == 0),
    # Exec rates compare through the paired ratios (each storm over the storm
    # with no agent run just before it), which the machine's drift does not move.
    ("exec_per_s_vigil / exec_per_s_none >= 0.97 (paired)", ["exec_vigil_over_none"],
     lambda f: f["exec_vigil_over_none"], lambda f: f["exec_vigil_over_none"] >= 0.97),
    ("vigil ahead of bpftrace (paired ratios)", ["exec_vigil_over_none", "exec_bpftrace_over_none"],
     lambda f: f["exec_vigil_over_none"] / f["exec_bpftrace_over_none"],
     lambda f: f["exec_vigil_over_none"] > f["exec_bpftrace_over_none"]),
    ("vigil ahead of execsnoop (paired ratios)",
     ["exec_vigil_over_none", "exec_execsnoop_over_none"],
     lambda f: f["exec_vigil_over_none"] / f["exec_execsnoop_over_none"],
     lambda f: f["exec_vigil_over_none"] > f["exec_execsnoop_over_none"]),
    ("exec_events_lost = 0", ["exec_events_lost"],
     lambda f: f["exec_events_lost"], lambda f: f["exec_events_lost"] == 0),
    ("decode_enrich_per_s >= 1,000,000", ["decode_enrich_per_s"],
     lambda f: f["decode_enrich_per_s"], lambda f: f["decode_enrich_per_s"] >= 1e6),
    ("grpc_per_s >= 300,000", ["grpc_per_s"],
     lambda f: f["grpc_per_s"], lambda f: f["grpc_per_s"] >= 3e5),
    ("json_export_per_s >= 200,000", ["json_export_per_s"],
     lambda f: f["json_export_per_s"], lambda f: f["json_export_per_s"] >= 2e5),
    ("rss_idle_mb <= 30", ["rss_idle_mb"], lambda f: f["rss_idle_mb"],
     lambda f: f["rss_idle_mb"] <= 30),
    ("rss_load_mb <= 64", ["rss_load_mb"], lambda f: f["rss_load_mb"],
     lambda f: f["rss_load_mb"] <= 64),
    ("rss_growth_mb <= 1", ["rss_growth_mb"], lambda f: f["rss_growth_mb"],
     lambda f: f["rss_growth_mb"] <= 1),
    ("cpu_us_per_event <= 5", ["cpu_us_per_event"], lambda f: f["cpu_us_per_event"],
     lambda f: f["cpu_us_per_event"] <= 5),
    ("openat kernel filter: every sensitive open detected",
     ["openat_kernel_detections", "openat_sensitive_opens"],
     lambda f: f["openat_kernel_detections"],
     lambda f: f["openat_kernel_detections"] == f["openat_sensitive_opens"]),
    ("openat user filter: every sensitive open detected",
     ["openat_user_detections", "openat_sensitive_opens"],
     lambda f: f["openat_user_detections"],
     lambda f: f["openat_user_detections"] == f["openat_sensitive_opens"]),
    ("markers_after_violation = 0", ["markers_after_violation"],
     lambda f: f["markers_after_violation"], lambda f: f["markers_after_violation"] == 0),
]


def evaluate(figures: dict) -> list[dict]:
    out = []
    for desc, needs, value, pred in TARGETS:
        if any(n not in figures or (isinstance(figures[n], float) and math.isnan(figures[n]))
               for n in needs):
            out.append({"target": desc, "value": float("nan"), "met": None})
            continue
        v = value(figures)
        out.append({"target": desc, "value": v, "met": bool(pred(figures))})
    return out
