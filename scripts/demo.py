"""`make demo`: the router behind a real Envoy, as local processes, in one request.

Starts the semantic-router (pass-through processor), an echo backend and Envoy 1.40 whose
ext_proc filter calls the router; sends one chat-completion request through Envoy (port 8000
when free) and prints what the backend received, including the `x-extproc` header the router
added. Stops everything on the way out, also on Ctrl-C or an error.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "integration"))

import stack  # noqa: E402


def main() -> int:
  with ExitStack() as running:
    print("starting semantic-router ...", flush=True)
    router = stack.Router(50051 if stack.port_is_free(50051) else None)
    running.callback(router.stop)
    router.start()
    print(f"  router (ext_proc gRPC) on {router.address}, pid {router.pid}")
    backend = running.enter_context(stack.EchoBackend())
    print(f"  echo backend on 127.0.0.1:{backend.port}")
    envoy_port = 8000 if stack.port_is_free(8000) else stack.free_port()
    envoy = running.enter_context(stack.Envoy(
      stack.TEMPLATES / "passthrough.yaml",
      {"listen_port": envoy_port, "router_port": router.port, "backend_port": backend.port}))
    print(f"  Envoy 1.40 on 127.0.0.1:{envoy.port} (admin {envoy.admin_port}), "
          f"config {envoy.config_path}")

    url = f"http://127.0.0.1:{envoy.port}/v1/chat/completions"
    body = json.dumps({"model": "auto",
                       "messages": [{"role": "user", "content": "Hello through Envoy"}]}).encode()
    print(f"\nPOST {url}")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
      status = response.status
      echoed = json.loads(response.read())
    print(f"HTTP {status}; the backend received {echoed['method']} {echoed['path']} "
          f"({echoed['body_length']} body bytes) with headers:")
    for name, values in echoed["headers"].items():
      marker = "   <-- added by semantic-router" if name == "x-extproc" else ""
      for value in values:
        print(f"  {name}: {value}{marker}")
    added = echoed["headers"].get("x-extproc")
    if added != ["semantic-router"]:
      print(f"\nFAILED: the backend did not see x-extproc: semantic-router (got {added})",
            file=sys.stderr)
      return 1
    print("\nstopping ...")
  code = router.stop()
  if code != 0:
    print(f"FAILED: the router exited with {code} on SIGTERM\n{router.log_tail()}",
          file=sys.stderr)
    return 1
  print("done: Envoy and echo backend stopped; the router drained and exited 0.")
  return 0


if __name__ == "__main__":
  try:
    sys.exit(main())
  except KeyboardInterrupt:
    print("\ninterrupted; everything started was stopped.", file=sys.stderr)
    sys.exit(130)
  except stack.StartupError as error:
    print(f"demo failed to start: {error}", file=sys.stderr)
    sys.exit(1)
