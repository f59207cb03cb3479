#!/usr/bin/env python3
"""Cosine of ONNX Runtime's sentence vectors (f32 and its dynamic int8) against the committed
sentence-transformers references, the measure EmbeddingTests applies to ours.

    .venv-embedding-bench/bin/python bench/embedding_accuracy.py

Uses the ONNX files bench/embedding exports (bench/results/minilm.onnx, minilm-int8.onnx) and
the model's tokenizer.json (truncated at max_seq_length, as the references were made).
"""

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from embedding import RESULTS, ROOT, model_directory

REFERENCES = ROOT / "Tests" / "EmbeddingTests" / "References" / "sentence-vectors.jsonl"


def main():
    model_dir = Path(model_directory())
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    maximum = json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
    tokenizer.enable_truncation(maximum)
    tokenizer.no_padding()
    references = [json.loads(line) for line in REFERENCES.read_text().splitlines()]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    for name in ("minilm.onnx", "minilm-int8.onnx"):
        session = ort.InferenceSession(str(RESULTS / name), options,
                                       providers=["CPUExecutionProvider"])
        cosines = []
        for reference in references:
            ids = np.array([tokenizer.encode(reference["text"]).ids], dtype=np.int64)
            (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                           "token_type_ids": np.zeros_like(ids)})
            vector = hidden[0].mean(axis=0)
            expected = np.array(reference["vector"])
            cosines.append(vector @ expected / np.linalg.norm(vector) / np.linalg.norm(expected))
        print(f"{name}: {len(cosines)} sentences, worst cosine {min(cosines):.5f}, "
              f"mean {np.mean(cosines):.5f}")


if __name__ == "__main__":
    main()
