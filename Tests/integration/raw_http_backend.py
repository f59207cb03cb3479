"""A base for HTTP/1.1 test backends that shape their answers byte by byte (resets, stalls,
streams held open): the listening socket, one thread per connection, reading a request."""

from __future__ import annotations

import socket
import threading


class RawHTTPBackend:
  """An HTTP/1.1 backend on a free loopback port; a subclass answers in `_serve(connection)`,
  which runs on a thread of its own for each connection. Use it as a context manager: entering
  starts accepting, leaving closes the listening socket."""

  def __init__(self, thread_name: str) -> None:
    self._listener = socket.create_server(("127.0.0.1", 0))
    self.port = self._listener.getsockname()[1]
    self.url = f"http://127.0.0.1:{self.port}"
    self._thread = threading.Thread(target=self._accept, name=thread_name, daemon=True)

  def _accept(self) -> None:
    while True:
      try:
        connection, _ = self._listener.accept()
      except OSError:
        return
      threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

  def _serve(self, connection: socket.socket) -> None:
    raise NotImplementedError

  @staticmethod
  def _read_request(connection: socket.socket) -> dict[str, str] | None:
    """Reads one request, body included; returns its headers (names lower-case), or None when
    the peer closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
      chunk = connection.recv(65536)
      if not chunk:
        return None
      data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
      name, _, value = line.partition(":")
      headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
      chunk = connection.recv(65536)
      if not chunk:
        return None
      body += chunk
    return headers

  def __enter__(self):
    self._thread.start()
    return self

  def __exit__(self, *_: object) -> None:
    self._listener.close()
