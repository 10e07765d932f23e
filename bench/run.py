#!/usr/bin/env python3
"""Vigil benchmarks (docs/benchmarks.md): runs the suites, prints their tables
and writes <build>/bench/summary.json with every figure and each target's
verdict. Needs root (BPF). Usage:
  bench/run.py [--build-dir build] [--quick] [--only syscall,exec,...]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))

from runner import (suite_enforce, suite_exec, suite_footprint, suite_openat,  # noqa: E402
                    suite_pipeline, suite_syscall)
from runner.common import BenchError, Env, machine_info, table  # noqa: E402
from runner.targets import evaluate  # noqa: E402

SUITES = {
    "syscall": suite_syscall,
    "exec": suite_exec,
    "pipeline": suite_pipeline,
    "openat": suite_openat,
    "enforce": suite_enforce,
    "footprint": suite_footprint,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default="build", type=Path)
    ap.add_argument("--quick", action="store_true", help="fewer rounds and calls (< 3 minutes)")
    ap.add_argument("--only", default=",".join(SUITES),
                    help=f"comma-separated suites (default all: {','.join(SUITES)})")
    ap.add_argument("--out", type=Path, help="summary path (default <build>/bench/summary.json)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the other suites' results from the existing summary (re-run one)")
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("bench: loads eBPF programs and must run as root (try: sudo make bench)",
              file=sys.stderr)
        return 1
    source_dir = Path(__file__).resolve().parent.parent
    build_dir = args.build_dir.resolve()
    for exe in ("vigild", "vigil"):
        if not (build_dir / exe).exists():
            print(f"bench: {build_dir / exe} is missing (build target vigil_bench_all)",
                  file=sys.stderr)
            return 1
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        print(f"bench: unknown suite(s) {', '.join(unknown)} (known: {', '.join(SUITES)})",
              file=sys.stderr)
        return 2
    out_path = args.out or build_dir / "bench" / "summary.json"
    work_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    env = Env(source_dir=source_dir, build_dir=build_dir, work_dir=work_dir, quick=args.quick,
              pin_cpu=(os.cpu_count() or 1) - 1,
              log=lambda s: print(s, flush=True))

    summary = {"machine": machine_info(), "quick": args.quick,
               "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "figures": {}, "details": {},
               "errors": {}, "seconds": {}}
    old: dict = {}
    if args.merge and out_path.exists():
        old = json.loads(out_path.read_text())
        for name in old.get("details", {}):
            if name in names:
                continue
            summary["details"][name] = old["details"][name]
            summary["seconds"][name] = old.get("seconds", {}).get(name)
        # Figures of suites not re-run are kept; the re-run ones overwrite.
        summary["figures"] = dict(old.get("figures", {}))
        summary["merged_from"] = old.get("started")
    env.log(f"vigil bench ({'quick' if args.quick else 'full'}): {', '.join(names)}; "
            f"kernel {summary['machine']['kernel']}, {summary['machine']['cpus']} CPUs, "
            f"loop pinned to CPU {env.pin_cpu}; scratch {work_dir}")
    failed = False
    for name in names:
        t0 = time.monotonic()
        try:
            res = SUITES[name].run_suite(env)
            if args.merge:  # drop the old run's figures of this suite first
                for k in old.get("details", {}).get(name, {}).get("figure_names", []):
                    summary["figures"].pop(k, None)
            summary["figures"].update(res["figures"])
            res["details"]["figure_names"] = sorted(res["figures"])
            summary["details"][name] = res["details"]
        except Exception as e:  # one suite failing must not lose the others
            failed = True
            summary["errors"][name] = str(e)
            env.log(f"\n!! {name} failed: {e}")
            if not isinstance(e, BenchError):
                traceback.print_exc()
        summary["seconds"][name] = round(time.monotonic() - t0, 1)
        env.log(f"({name}: {summary['seconds'][name]:.0f} s)")

    summary["targets"] = evaluate(summary["figures"])
    env.log(table("Targets (issue 9)", ["target", "value", "met"],
                  [[t["target"], t["value"], {True: "yes", False: "NO", None: "n/a"}[t["met"]]]
                   for t in summary["targets"]]))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(summary, indent=2, default=float) + "\n")
    env.log(f"\nsummary: {out_path}")
    if failed:
        env.log(f"logs kept in {work_dir}/logs")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
