"""The fuzz targets' seed corpus, Tests/Fuzz/Corpus/TARGET/, which capture_seeds.py and
write_seeds.py fill: one file per input, named by its content hash (as libFuzzer names its own).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "Corpus"


def save(target: str, inputs: list[bytes], max_len: int) -> int:
  """Writes each distinct input no longer than `max_len`; returns how many."""
  directory = CORPUS / target
  directory.mkdir(parents=True, exist_ok=True)
  names = set()
  for data in inputs:
    if not data or len(data) > max_len:
      continue
    name = hashlib.sha1(data).hexdigest()
    (directory / name).write_bytes(data)
    names.add(name)
  return len(names)
