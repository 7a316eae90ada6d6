"""Input formats -> pieces of text tied to the post they came from.

Formats: plain text (streamed in chunks, so any size), HTML pages, Telegram Desktop JSON
exports (``result.json``: one channel, or a whole account with ``chats.list``), JSON Lines of
posts (Facebook/X-style exports with text, author, date, url), directories (recursive, sorted)
and stdin (``-``, sniffed). A *post* is a Telegram message, a JSON Lines record, or a whole
text/HTML document; solicitation is judged per post.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ledgerhound.errors import InvalidInputError, NotFoundError
from ledgerhound.osint.html import is_telegram_export, telegram_messages, visible_text

CHUNK_CHARS = 4 << 20
_TEXT_KEYS = ("text", "full_text", "message", "content", "body", "post", "caption", "description")
_AUTHOR_KEYS = ("author", "from", "user", "username", "screen_name", "name", "actor")
_DATE_KEYS = ("date", "created_at", "timestamp", "time", "published", "created_time")
_URL_KEYS = ("url", "link", "permalink", "permalink_url")
_ID_KEYS = ("id", "message_id", "post_id", "status_id")
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson"}


@dataclass
class Post:
    """Where a post came from; ``source`` is the JSON ``source`` object of its items."""

    source: dict[str, Any]
    date: str | None = None
    author: str | None = None
    url: str | None = None
    document: bool = False  # a whole file (text/HTML), not one message
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Piece:
    """Some text of a post: ``field`` names where in the post, ``offset``/``line`` where in it."""

    post: Post
    text: str
    field: str = "text"
    offset: int = 0
    line: int | None = None
    limit: int | None = None  # streaming: this piece owns runs starting in [skip, limit)
    skip: int = 0


def iter_pieces(paths: Sequence[str | Path]) -> Iterator[Piece]:
    """All pieces of all inputs, in a stable order (arguments in order, directories sorted)."""
    for raw in paths:
        if str(raw) == "-":
            yield from _stdin_pieces()
            continue
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield from _file_pieces(child, skip_binary=True)
        elif path.is_file():
            yield from _file_pieces(path, skip_binary=False)
        else:
            raise NotFoundError(f"{raw}: no such file or directory", file=str(raw))


def _file_pieces(path: Path, skip_binary: bool) -> Iterator[Piece]:
    name = str(path)
    with path.open("rb") as fh:
        head = fh.read(8192)
    if b"\x00" in head:
        if skip_binary:
            return
        raise InvalidInputError(f"{name}: binary file, not text", file=name)
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        if suffix in _HTML_SUFFIXES:
            yield from html_pieces(fh.read(), name)
        elif suffix == ".json":
            yield from json_pieces(fh.read(), name)
        elif suffix in _JSONL_SUFFIXES:
            yield from jsonl_pieces(fh, name)
        else:
            yield from text_pieces(fh, name)


def _stdin_pieces() -> Iterator[Piece]:
    stream = sys.stdin
    head = stream.read(65536)
    rest: TextIO = stream
    probe = head.lstrip("\ufeff \t\r\n")[:2048].lower()
    if probe.startswith("<") and ("<html" in probe or "<!doctype" in probe or "<body" in probe):
        yield from html_pieces(head + rest.read(), "-")
    elif probe.startswith("{") and _first_line_is_object(head):
        yield from jsonl_pieces(_Chained(head, rest), "-")
    elif probe.startswith(("{", "[")):
        yield from json_pieces(head + rest.read(), "-")
    else:
        yield from text_pieces(_Chained(head, rest), "-")


def _first_line_is_object(head: str) -> bool:
    line = head.lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


class _Chained(io.TextIOBase):
    """``head`` then the rest of ``stream``, as one readable text stream."""

    def __init__(self, head: str, stream: TextIO) -> None:
        self._head, self._stream = head, stream

    def read(self, size: int | None = -1) -> str:
        if self._head:
            out, self._head = self._head, ""
            return out
        return self._stream.read(-1 if size is None else size)

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        lines = self._head.splitlines(keepends=True)
        self._head = ""
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += self._stream.readline()
        yield from lines
        yield from self._stream


def text_pieces(stream: TextIO, name: str, chunk_chars: int = CHUNK_CHARS) -> Iterator[Piece]:
    """A plain-text document in chunks that end at a line break.

    Each chunk owns the candidates whose run starts in ``[skip, limit)``; it also carries the
    line before (``skip``, as context for an address cut over a line break) and the line after
    ``limit`` (for a run that continues onto it), so chunking never changes the result.
    """
    post = Post({"file": name}, document=True)
    carry, offset, line, skip = "", 0, 1, 0
    while True:
        data = stream.read(chunk_chars)
        buf = carry + data
        if not data:
            if len(buf) > skip:
                yield Piece(post, buf, offset=offset, line=line, skip=skip)
            return
        end = buf.rfind("\n")
        last = buf.rfind("\n", 0, end) + 1 if end > 0 else 0
        forced = last <= skip and len(buf) >= 2 * chunk_chars + skip
        if last <= skip and not forced:
            carry = buf
            continue
        if forced:  # one enormous line: split it where no candidate can straddle
            end, last = len(buf) - 1, _boundary(buf, len(buf) - min(256, chunk_chars // 2))
        yield Piece(post, buf[: end + 1], offset=offset, line=line, limit=last, skip=skip)
        keep = last if forced else max(buf.rfind("\n", 0, last - 1) + 1, last - 1024)
        line += buf.count("\n", 0, keep)
        offset += keep
        carry, skip = buf[keep:], last - keep


def _boundary(buf: str, pos: int) -> int:
    """The position of a space or punctuation at or before ``pos`` (an address cannot span it)."""
    for i in range(pos, max(0, pos - 4096), -1):
        if not buf[i].isalnum():
            return i
    return pos


def html_pieces(html: str, name: str) -> Iterator[Piece]:
    """A web page (one post), or a Telegram Desktop HTML export (one post per message)."""
    if is_telegram_export(html):
        chat, messages = telegram_messages(html)
        if messages:
            for m in messages:
                source = {"file": name, "chat": chat, "message_id": m.message_id}
                post = Post(source, date=m.date, author=m.author)
                yield Piece(post, "".join(m.text))
                if m.links:
                    yield Piece(post, "\n".join(m.links), field="links")
            return
    text, attrs = visible_text(html)
    post = Post({"file": name}, document=True)
    yield Piece(post, text)
    if attrs:
        yield Piece(post, attrs, field="attributes")


def json_pieces(raw: str, name: str) -> Iterator[Piece]:
    """A Telegram Desktop export (one chat or a full account), or a JSON array of posts."""
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise InvalidInputError(f"{name}: not valid JSON ({exc})", file=name) from None
    if isinstance(doc, list):
        for index, record in enumerate(doc):
            yield from _record_pieces(record, name, {"index": index})
        return
    if not isinstance(doc, dict):
        raise InvalidInputError(f"{name}: JSON is neither an object nor an array", file=name)
    chats = doc.get("chats", {}).get("list") if isinstance(doc.get("chats"), dict) else None
    if isinstance(chats, list):
        for chat in chats:
            yield from _telegram_chat(chat, name)
    elif isinstance(doc.get("messages"), list):
        yield from _telegram_chat(doc, name)
    else:
        raise InvalidInputError(
            f"{name}: JSON object is not a Telegram export (no 'messages' list)", file=name
        )


def _telegram_chat(chat: dict[str, Any], name: str) -> Iterator[Piece]:
    chat_name = chat.get("name")
    for message in chat.get("messages", []):
        if not isinstance(message, dict) or message.get("type", "message") != "message":
            continue
        text, links = telegram_text(message.get("text", ""))
        source = {"file": name, "chat": chat_name, "message_id": message.get("id")}
        author = message.get("from") or message.get("actor")
        post = Post(source, date=message.get("date"), author=author)
        if text:
            yield Piece(post, text)
        if links:
            yield Piece(post, "\n".join(links), field="links")


def telegram_text(value: Any) -> tuple[str, list[str]]:
    """Telegram ``text`` is a string or a list of strings and entity parts (with ``href``)."""
    if isinstance(value, str):
        return value, []
    parts, links = [], []
    for part in value if isinstance(value, list) else []:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict):
            parts.append(str(part.get("text", "")))
            if part.get("href"):
                links.append(str(part["href"]))
    return "".join(parts), links


def jsonl_pieces(stream: Any, name: str) -> Iterator[Piece]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise InvalidInputError(
                f"{name}: line {number} is not valid JSON ({exc})", file=name, line=number
            ) from None
        yield from _record_pieces(record, name, {"line": number})


def _record_pieces(record: Any, name: str, where: dict[str, Any]) -> Iterator[Piece]:
    if not isinstance(record, dict):
        label = f"line {where['line']}" if "line" in where else f"element {where['index']}"
        raise InvalidInputError(f"{name}: {label} is not a JSON object", file=name, **where)
    source: dict[str, Any] = {"file": name, **where}
    post_id = _first(record, _ID_KEYS)
    if post_id is not None:
        source["post_id"] = post_id
    post = Post(
        source,
        date=_scalar(_first(record, _DATE_KEYS)),
        author=_author(_first(record, _AUTHOR_KEYS)),
        url=_first(record, _URL_KEYS),
    )
    text, links = telegram_text(_first(record, _TEXT_KEYS) or "")
    if text:
        yield Piece(post, text)
    if post.url or links:
        yield Piece(post, "\n".join([*([post.url] if post.url else []), *links]), field="links")


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if record.get(key) not in (None, ""):
            return record[key]
    return None


def _author(value: Any) -> str | None:
    if isinstance(value, dict):
        value = _first(value, ("name", "username", "screen_name", "id"))
    return None if value is None else str(value)


def _scalar(value: Any) -> str | None:
    return None if value is None else str(value)
