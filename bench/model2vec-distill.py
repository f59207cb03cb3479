#!/usr/bin/env python3
"""Distils a sentence-transformers BERT folder into a static (Model2Vec-style) token table.

    python bench/model2vec-distill.py MODEL_DIR OUT.safetensors [--dimensions 256]

Each vocabulary token goes through the model once, alone (`[CLS] token [SEP]`, mean-pooled as
the model pools a sentence); the 30k vectors are reduced by PCA to `--dimensions` and each is
weighted by log(1 + rank), rank being the token id, which in BERT's vocabulary roughly follows
frequency (a Zipf proxy for SIF weighting: frequent tokens count less in a mean). The table is
written as safetensors (tensor `embeddings`, F16, vocabulary × dimensions), which the Swift
`StaticEmbedder` reads beside the model's own tokenizer.json. Needs torch, transformers, numpy
(bench/embedding's venv has them). About a minute on one core.
"""

import argparse
import json
import struct

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer


def token_vectors(model_dir, batch=512):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    vocabulary = len(tokenizer.get_vocab())
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    vectors = np.zeros((vocabulary, model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, vocabulary, batch):
            ids = torch.arange(start, min(start + batch, vocabulary))
            inputs = torch.stack(
                [torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], dim=1)
            hidden = model(input_ids=inputs, attention_mask=torch.ones_like(inputs),
                           token_type_ids=torch.zeros_like(inputs)).last_hidden_state
            vectors[start:start + len(ids)] = hidden.mean(dim=1).numpy()
    return vectors


def reduce(vectors, dimensions):
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:dimensions].T
    weights = np.log1p(np.arange(len(reduced), dtype=np.float32))
    return reduced * weights[:, None]


def write_safetensors(path, name, array):
    data = array.astype("<f2").tobytes()
    header = json.dumps({name: {"dtype": "F16", "shape": list(array.shape),
                                "data_offsets": [0, len(data)]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(header)))
        out.write(header)
        out.write(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("out")
    parser.add_argument("--dimensions", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(1)
    table = reduce(token_vectors(args.model_dir), args.dimensions)
    write_safetensors(args.out, "embeddings", table)
    print(f"{args.out}: {table.shape[0]} tokens × {table.shape[1]} dimensions")


if __name__ == "__main__":
    main()
