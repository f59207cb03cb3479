#!/usr/bin/env python3
"""bench/embedding's Python side: per-query latency of ONNX Runtime or PyTorch on one thread.

    embedding_python.py onnxruntime|pytorch MODEL_DIR ONNX_FILE IDS_FILE RUNS

Same inputs and outputs as EmbeddingBenchmarks: token ids in, mean-pooled unit vector out, one
JSON object per input line with every sample (wall and thread CPU time) in milliseconds.
"""

import json
import sys
import time

import numpy as np


def onnxruntime_runner(model_dir, onnx_file):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(onnx_file, options, providers=["CPUExecutionProvider"])

    def run(ids):
        input_ids = np.array([ids], dtype=np.int64)
        (hidden,) = session.run(None, {
            "input_ids": input_ids,
            "attention_mask": np.ones_like(input_ids),
            "token_type_ids": np.zeros_like(input_ids),
        })
        vector = hidden[0].mean(axis=0)
        return vector / np.linalg.norm(vector)

    return run


def pytorch_runner(model_dir, onnx_file):
    import torch
    from transformers import AutoModel

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    model = AutoModel.from_pretrained(model_dir).eval()

    def run(ids):
        with torch.inference_mode():
            input_ids = torch.tensor([ids], dtype=torch.int64)
            hidden = model(
                input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            vector = hidden[0].mean(dim=0)
            return torch.nn.functional.normalize(vector, dim=0)

    return run


def main():
    implementation, model_dir, onnx_file, ids_file, runs = sys.argv[1:6]
    runner = {"onnxruntime": onnxruntime_runner, "pytorch": pytorch_runner}[implementation]
    run = runner(model_dir, onnx_file)
    with open(ids_file) as lines:
        inputs = [json.loads(line) for line in lines if line.strip()]
    for ids in inputs:
        for _ in range(3):
            run(ids)
        wall, cpu = [], []
        for _ in range(int(runs)):
            start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
            run(ids)
            cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
            wall.append((time.perf_counter_ns() - start) / 1e6)
        print(json.dumps({"tokens": len(ids), "wall_ms": wall, "cpu_ms": cpu}), flush=True)


if __name__ == "__main__":
    main()
