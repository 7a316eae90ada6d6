"""A local Bitcoin Core JSON-RPC stand-in that replays recorded responses (no node needed).

Responses are the real Core answers recorded by bitcoin-etl (``rpc_response_<method>_<args>.json``
in tests/data/bitcoin-etl). They are returned verbatim (the numbers keep their exact text), keyed
by ``(method, params)``. ``getblockcount`` answers the highest recorded height. By default
``getblock <hash> 3`` is refused with error -8, as a node without verbosity 3 does; with
``prevouts=True`` a verbosity-3 answer is derived from the recorded verbosity-2 block plus the
recorded ``getrawtransaction`` of each spent transaction (prevout = that tx's output).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "bitcoin-etl"
NAME = re.compile(r"^rpc_response_(getblockhash|getblock|getrawtransaction)_(.+)\.json$")


def load_recordings(root: Path = DATA) -> dict[tuple, str]:
    """``(method, *params) -> raw JSON text`` for every recorded response under ``root``."""
    recorded: dict[tuple, str] = {}
    for path in sorted(root.rglob("rpc_response_*.json")):
        match = NAME.match(path.name)
        if not match:
            continue
        method, args = match.groups()
        params = tuple(int(a) if a.isdigit() and len(a) < 10 else a for a in args.split("_"))
        recorded[(method, *params)] = path.read_text(encoding="utf-8")
    return recorded


class ReplayServer:
    """``with ReplayServer() as server: server.url`` - a JSON-RPC server on 127.0.0.1, port 0."""

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        fail_first: list[int] | None = None,
        prevouts: bool = False,
        overrides: dict[tuple, str] | None = None,
    ) -> None:
        self.recorded = load_recordings()
        self.recorded.update(overrides or {})  # e.g. a node that answers differently mid-run
        self.auth = auth
        self.fail_first = list(fail_first or [])
        self.prevouts = prevouts
        self.requests: list[dict[str, Any]] = []  # {"auth": header, "body": parsed JSON}
        self.statuses: list[int] = []
        heights = [k[1] for k in self.recorded if k[0] == "getblockhash"]
        self.tip = max(heights)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # --- answering --------------------------------------------------------------------------
    def answer(self, call: dict[str, Any]) -> str:
        method, params, rid = call.get("method"), call.get("params") or [], call.get("id")
        result = self._result(method, params)
        if isinstance(result, tuple):
            code, message = result
            error = json.dumps({"code": code, "message": message})
            return f'{{"result": null, "error": {error}, "id": {json.dumps(rid)}}}'
        return f'{{"result": {result}, "error": null, "id": {json.dumps(rid)}}}'

    def _result(self, method: str, params: list) -> str | tuple[int, str]:
        if method == "getblockcount":
            return str(self.tip)
        if method == "getblock" and len(params) == 2 and params[1] == 3:
            if not self.prevouts:
                return (-8, "Verbosity must be in range 0..2")
            text = self.recorded.get(("getblock", params[0], 2))
            return self._with_prevouts(text) if text else (-5, "Block not found")
        key = (method, *params)
        if key in self.recorded:
            return self.recorded[key]
        if method in ("getblockhash", "getblock", "getrawtransaction"):
            return (-8, "Block height out of range" if method == "getblockhash" else "not found")
        return (-32601, "Method not found")

    def _with_prevouts(self, text: str) -> str | tuple[int, str]:
        block = json.loads(text, parse_float=Decimal)
        for tx in block["tx"]:
            for txin in tx["vin"]:
                if "coinbase" in txin:
                    continue
                spent = self.recorded.get(("getrawtransaction", txin["txid"]))
                if spent is None:
                    return (-1, "Undo data not available")
                prev = json.loads(spent, parse_float=Decimal)
                out = prev["vout"][txin["vout"]]
                is_cb = "coinbase" in prev["vin"][0]
                txin["prevout"] = {
                    "generated": is_cb,
                    "value": out["value"],
                    "scriptPubKey": out["scriptPubKey"],
                }
        return _dumps_exact(block)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                server.requests.append({"auth": self.headers.get("Authorization"), "body": body})
                if server.fail_first:
                    return self._send(server.fail_first.pop(0), b"temporarily broken")
                if server.auth is not None:
                    token = base64.b64encode(":".join(server.auth).encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {token}":
                        return self._send(401, b"")
                if isinstance(body, list):
                    text = "[" + ",".join(server.answer(c) for c in body) + "]"
                else:
                    text = server.answer(body)
                self._send(200, text.encode())

            def _send(self, status: int, payload: bytes) -> None:
                server.statuses.append(status)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return None

        return Handler


def _dumps_exact(value: Any) -> str:
    """JSON text with Decimals written as numbers, digit for digit (json.dumps would refuse)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_dumps_exact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dumps_exact(v) for v in value) + "]"
    return json.dumps(value)
