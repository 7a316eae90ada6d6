"""Bitcoin Core JSON-RPC -> :class:`ChainBatch` (stdlib HTTP only, no node library).

Calls are sent as JSON-RPC batches (arrays) over HTTP POST with basic auth (user/password, a
``.cookie`` file, or credentials in the URL). Connection errors and 5xx answers that are not
JSON-RPC replies are retried with exponential backoff; refusal, 401 and 403 end in one clear
:class:`SourceUnavailableError` whose message never contains the password. Blocks are fetched
with ``getblock <hash> 3`` (prevouts included) and, if the node rejects verbosity 3 (older or
pruned nodes), with verbosity 2 for the rest of the run.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ledgerhound.codecs.address import NETWORKS
from ledgerhound.errors import InvalidInputError, SourceUnavailableError
from ledgerhound.sources.corejson import blocks_json_to_batch, concat_batches
from ledgerhound.store.batch import ChainBatch

BACKOFF_SECONDS = 0.25  # first retry delay; doubles on each further attempt
GETBLOCKS_PER_REQUEST = 4  # bounds one HTTP answer (verbosity 3 JSON is ~10x the block size)
GENESIS = {
    "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f": "mainnet",
    "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943": "testnet",
    "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043": "testnet4",
    "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6": "signet",
    "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206": "regtest",
}
CHAIN_NAMES = {"main": "mainnet", "test": "testnet", "testnet4": "testnet4", "signet": "signet"}
CHAIN_NAMES["regtest"] = "regtest"


class RpcError(Exception):
    """An error object in a JSON-RPC reply (the node answered, but refused this call)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message


class RpcClient:
    """A minimal Bitcoin Core JSON-RPC client: batches, basic auth, retries."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        cookie_file: Path | str | None = None,
        timeout: float = 30,
        retries: int = 3,
    ) -> None:
        if "://" not in url:
            url = "http://" + url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInputError(f"not an http(s) RPC URL: {_redact(url)}")
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or 8332
        self.path = parts.path or "/"
        self.display = f"{parts.scheme}://{self.host}:{self.port}{parts.path}"
        self.timeout, self.retries = timeout, max(0, retries)
        if parts.username and user is None:
            user, password = unquote(parts.username), unquote(parts.password or "")
        if cookie_file is not None and user is None:
            user, password = _read_cookie(Path(cookie_file))
        self.headers = {"Content-Type": "application/json"}
        if user is not None:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
            self.headers["Authorization"] = f"Basic {token}"

    def call(self, method: str, *params: Any) -> Any:
        """One call; an RPC error becomes a :class:`SourceUnavailableError` naming the method."""
        (result,) = self.batch([(method, list(params))])
        if isinstance(result, RpcError):
            raise SourceUnavailableError(
                f"Bitcoin Core RPC at {self.display}: {method} failed: {result}",
                url=self.display, method=method, rpc_code=result.code,
            )  # fmt: skip
        return result

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Results in call order; a call the node refused yields an :class:`RpcError` value."""
        body = [
            {"jsonrpc": "1.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
        ]
        status, data = self._post(json.dumps(body).encode())
        try:
            replies = json.loads(data, parse_float=Decimal)
        except ValueError:
            raise self._unavailable(f"HTTP {status} with a body that is not JSON") from None
        if isinstance(replies, dict):  # some servers answer a failed batch with one error
            replies = [replies] * len(calls)
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        results = []
        for i, (method, _) in enumerate(calls):
            reply = by_id.get(i)
            if reply is None:
                raise self._unavailable(f"no reply to {method} in HTTP {status} answer")
            error = reply.get("error")
            if error:
                results.append(RpcError(int(error.get("code", 0)), str(error.get("message"))))
            else:
                results.append(reply.get("result"))
        return results

    def _post(self, body: bytes) -> tuple[int, bytes]:
        reason = "no attempt made"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            conn_class = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = conn_class(self.host, self.port, timeout=self.timeout)
            try:
                conn.request("POST", self.path, body, self.headers)
                response = conn.getresponse()
                status, data = response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                reason = _describe(exc, self.timeout)
                continue
            finally:
                conn.close()
            if status == 401:
                raise self._unavailable(
                    "authentication failed (HTTP 401): check user/password or the cookie file"
                )
            if status == 403:
                raise self._unavailable("access forbidden (HTTP 403): check rpcallowip")
            if status >= 500 and not _is_json_rpc(data):
                reason = f"server error HTTP {status}"
                continue
            return status, data
        tries = f" after {self.retries + 1} attempts" if self.retries else ""
        raise SourceUnavailableError(
            f"cannot reach Bitcoin Core RPC at {self.display}: {reason}{tries}", url=self.display
        )

    def _unavailable(self, what: str) -> SourceUnavailableError:
        message = f"Bitcoin Core RPC at {self.display}: {what}"
        return SourceUnavailableError(message, url=self.display)


def read_rpc_batches(
    url: str,
    start: int | None = None,
    end: int | None = None,
    *,
    user: str | None = None,
    password: str | None = None,
    cookie_file: Path | str | None = None,
    batch_blocks: int = 100,
    timeout: float = 30,
    retries: int = 3,
    network: str | None = None,
) -> Iterator[ChainBatch]:
    """Main-chain blocks ``start..end`` (inclusive; defaults 0..tip) from a Core node.

    The node is contacted (network, tip, range checked) before this returns, so an unreachable
    node or a bad range fails at once; blocks are then fetched ``batch_blocks`` at a time.
    """
    client = RpcClient(
        url, user=user, password=password, cookie_file=cookie_file, timeout=timeout, retries=retries
    )
    if batch_blocks < 1:
        raise InvalidInputError(f"batch_blocks must be positive, got {batch_blocks}")
    net = network or detect_network(client)
    if net not in NETWORKS:
        raise InvalidInputError(f"unknown network {net!r} (known: {', '.join(NETWORKS)})")
    tip = int(client.call("getblockcount"))
    first = 0 if start is None else start
    last = tip if end is None else end
    if first < 0 or last < first:
        raise InvalidInputError(f"bad block range {first}..{last}")
    if last > tip:
        raise InvalidInputError(f"end height {last} is beyond the node's tip {tip}")
    return _stream(client, net, first, last, batch_blocks)


def detect_network(client: RpcClient) -> str:
    """The node's network from its genesis hash, else from ``getblockchaininfo``."""
    genesis = client.call("getblockhash", 0)
    if genesis in GENESIS:
        return GENESIS[genesis]
    (info,) = client.batch([("getblockchaininfo", [])])
    chain = info.get("chain") if isinstance(info, dict) else None
    if chain in CHAIN_NAMES:
        return CHAIN_NAMES[chain]
    raise InvalidInputError(
        f"cannot tell the network of the node at {client.display}: pass the network"
    )


def _stream(
    client: RpcClient, net: str, first: int, last: int, batch_blocks: int
) -> Iterator[ChainBatch]:
    state = {"verbosity": 3, "prev": None}
    for lo in range(first, last + 1, batch_blocks):
        heights = list(range(lo, min(last, lo + batch_blocks - 1) + 1))
        hashes = client.batch([("getblockhash", [h]) for h in heights])
        for h, result in zip(heights, hashes, strict=True):
            if isinstance(result, RpcError):
                raise SourceUnavailableError(
                    f"Bitcoin Core RPC at {client.display}: getblockhash {h} failed: {result}"
                )
        origin = f"rpc:{client.display} heights {heights[0]}-{heights[-1]}"
        pairs = list(zip(heights, hashes, strict=True))
        parts = []  # decoded per request, so only GETBLOCKS_PER_REQUEST blocks of JSON are alive
        for i in range(0, len(pairs), GETBLOCKS_PER_REQUEST):
            blocks = _get_blocks(client, pairs[i : i + GETBLOCKS_PER_REQUEST], state)
            parts.append(blocks_json_to_batch(blocks, NETWORKS[net], origin))
        yield concat_batches(parts, NETWORKS[net], origin)


def _get_blocks(client: RpcClient, part: list[tuple[int, str]], state: dict) -> list[dict]:
    results = client.batch([("getblock", [bh, state["verbosity"]]) for _, bh in part])
    if state["verbosity"] == 3 and any(isinstance(r, RpcError) for r in results):
        state["verbosity"] = 2  # the node has no verbosity 3 (pre-v23) or no undo data
        results = client.batch([("getblock", [bh, 2]) for _, bh in part])
    blocks = []
    for (height, block_hash), block in zip(part, results, strict=True):
        if isinstance(block, RpcError):
            raise SourceUnavailableError(
                f"Bitcoin Core RPC at {client.display}: getblock {block_hash} failed: {block}"
            )
        _check_continuity(client, block, height, block_hash, state)
        blocks.append(block)
    return blocks


def _check_continuity(
    client: RpcClient, block: Any, height: int, block_hash: str, state: dict
) -> None:
    """The answer is the block asked for and extends the previous one (no reorg mid-read)."""
    if not isinstance(block, dict) or block.get("hash") != block_hash:
        raise SourceUnavailableError(
            f"Bitcoin Core RPC at {client.display}: getblock {block_hash} returned another block"
        )
    if block.get("height") != height or (
        state["prev"] is not None and block.get("previousblockhash") != state["prev"]
    ):
        raise SourceUnavailableError(
            f"Bitcoin Core RPC at {client.display}: the chain changed during the read at height "
            f"{height} (reorganisation); run the ingest again"
        )
    state["prev"] = block_hash


def _read_cookie(path: Path) -> tuple[str, str]:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SourceUnavailableError(
            f"cannot read RPC cookie file {path}: {exc.strerror or exc}", file=str(path)
        ) from None
    user, sep, password = text.partition(":")
    if not sep:
        message = f"RPC cookie file {path} is not 'user:password'"
        raise SourceUnavailableError(message, file=str(path))
    return user, password


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, ConnectionError | http.client.HTTPException):
        return f"connection lost ({type(exc).__name__})"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _is_json_rpc(data: bytes) -> bool:
    """Core answers RPC errors on single calls with HTTP 500 and a JSON-RPC error body."""
    try:
        reply = json.loads(data)
    except ValueError:
        return False
    return isinstance(reply, list | dict)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@")
