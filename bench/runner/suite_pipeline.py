"""Benchmark 3: pipeline throughput. Runs vigil_bench_pipeline (Google
Benchmark, bench/pipeline/) pinned to one core and reads its JSON output."""
from __future__ import annotations

import json

from .common import Env, run, table

FIGURES = {
    "DecodeEnrich": "decode_enrich_per_s",
    "GrpcSubscriber": "grpc_per_s",
    "JsonExport": "json_export_per_s",
    "RingbufConsume": "ringbuf_consume_per_s",
    "JsonEncode": "json_encode_per_s",
    "JsonEncodeProtobuf": "json_encode_protobuf_per_s",
}


def run_suite(env: Env) -> dict:
    out = env.work_dir / "pipeline.json"
    min_time, reps = ("0.3", 1) if env.quick else ("2", 3)
    run(env.pinned([env.prog("pipeline"), f"--benchmark_out={out}", "--benchmark_out_format=json",
                    f"--benchmark_min_time={min_time}", f"--benchmark_repetitions={reps}",
                    "--benchmark_report_aggregates_only=true"]), 900, "pipeline benchmark")
    data = json.loads(out.read_text())
    figures, rows, details = {}, [], {}
    for b in data["benchmarks"]:
        name = b["run_name"].split("/")[0]
        # One repetition reports the run itself; several, their median.
        if name not in FIGURES or b.get("aggregate_name", "median") != "median":
            continue
        if b.get("error_occurred"):
            details[name] = b.get("error_message")
            continue
        rate = float(b["items_per_second"])
        figures[FIGURES[name]] = rate
        extra = {k: b[k] for k in ("dropped", "decode_errors", "write_errors", "rotations") if k in b}
        details[name] = {"items_per_second": rate, **extra}
        rows.append([name, FIGURES[name], rate, ", ".join(f"{k} {v:g}" for k, v in extra.items())])
    env.log(table(f"Pipeline throughput (one core, median of {reps} repetition(s))",
                  ["benchmark", "figure", "per second", "counters"], rows))
    return {"figures": figures, "details": details}
