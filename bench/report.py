#!/usr/bin/env python3
"""Renders a summary.json written by bench/run.py as the Markdown results
section of docs/benchmarks.md (machine, figures by benchmark, targets).
Usage: bench/report.py [build/bench/summary.json]"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

GROUPS = [
    ("1. Syscall hot path (ns per call)", ("write_", "getppid_", "nomatch_over_floor", "bpf_floor",
                                           "bpf_nomatch", "bpf_match")),
    ("2. Exec storm", ("exec_",)),
    ("3. Pipeline throughput (per second, one core)", ("decode_enrich", "grpc_per_s",
                                                         "json_export", "ringbuf_consume")),
    ("4. Footprint", ("rss_", "bpf_maps_", "cpu_us_per_event", "footprint_")),
    ("5. Filter where it is cheap", ("openat_",)),
    ("6. Enforcement", ("kills", "markers_after_violation", "kill_latency", "user_")),
]


def fmt(v) -> str:
    if isinstance(v, bool) or v is None:
        return {True: "yes", False: "**no**", None: "not run"}[v]
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench/summary.json")
    s = json.loads(path.read_text())
    m = s["machine"]
    print(f"Run of {s['started']} ({'quick' if s['quick'] else 'full'}): kernel {m['kernel']} "
          f"({m['kernel_version']}), {m['cpus']} × {m['cpu']}, {m['memory_gb']} GB, {m['os']}; "
          f"load average at start {', '.join(map(str, m['load_avg_at_start']))}.")
    print("Suite durations (s): " + ", ".join(f"{k} {v:.0f}" for k, v in s["seconds"].items()) + ".")
    for suite, err in s.get("errors", {}).items():
        print(f"\n**{suite} failed:** {err}")
    figures = dict(s["figures"])
    for title, prefixes in GROUPS:
        rows = [(k, v) for k, v in figures.items() if k.startswith(prefixes)]
        if not rows:
            continue
        print(f"\n#### {title}\n\n| figure | value |\n|---|---:|")
        for k, v in rows:
            print(f"| `{k}` | {fmt(v)} |")
            figures.pop(k)
    print("\n#### Targets\n\n| target | value | met |\n|---|---:|:---:|")
    for t in s["targets"]:
        print(f"| {t['target']} | {fmt(t['value'])} | {fmt(t['met'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
