"""Visible text and link targets of an HTML page (no scripts, no styles), with the stdlib parser.

Donation pages put addresses in three places: the visible text, link targets (``bitcoin:`` /
``ethereum:`` URIs, explorer links) and copy-button attributes (``value``,
``data-clipboard-text``). All three are read; script, style and template bodies are not.
"""

from __future__ import annotations

from html.parser import HTMLParser

_HIDDEN = frozenset({"script", "style", "noscript", "template", "svg"})
_BLOCK = frozenset(
    {
        "br",
        "p",
        "div",
        "li",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "title",
        "section",
        "article",
        "header",
        "footer",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "table",
        "hr",
    }
)
_URL_ATTRS = frozenset({"href", "src", "action"})
_VALUE_ATTRS = frozenset({"value", "data-clipboard-text", "data-address", "content", "title"})


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attrs: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        if tag in _BLOCK:
            self.text.append("\n")
        for name, value in attrs:
            if value and (name in _URL_ATTRS or name in _VALUE_ATTRS):
                self.attrs.append(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hidden = self._hidden
        self.handle_starttag(tag, attrs)
        self._hidden = hidden  # a self-closing tag opens nothing

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1
        if tag in _BLOCK:
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def visible_text(html: str) -> tuple[str, str]:
    """``(visible text, attribute values one per line)`` of an HTML document."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return "".join(parser.text), "\n".join(parser.attrs)


class TelegramMessage:
    """One message of a Telegram Desktop HTML export (``messages.html``)."""

    def __init__(self, message_id: int | None, author: str | None) -> None:
        self.message_id, self.author = message_id, author
        self.date: str | None = None
        self.text: list[str] = []
        self.links: list[str] = []


class _TelegramExport(HTMLParser):
    """Splits ``messages.html`` into messages: id, date (the ``title`` of the time), sender."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.messages: list[TelegramMessage] = []
        self.chat: list[str] = []
        self._roles: list[str | None] = []  # one entry per open <div>
        self._current: TelegramMessage | None = None
        self._author: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "br" and "text" in self._roles and self._current is not None:
            self._current.text.append("\n")
        if tag == "a" and self._current is not None and a.get("href"):
            self._current.links.append(a["href"])
        if tag != "div":
            return
        classes = a.get("class", "").split()
        role = None
        if "message" in classes and a.get("id", "").startswith("message"):
            digits = a["id"][len("message") :]
            self._current = TelegramMessage(int(digits) if digits.isdigit() else None, None)
            self._current.author = self._author
            role = "message"
        elif self._current is not None and "date" in classes and "details" in classes:
            self._current.date = a.get("title") or None
            role = "date"
        elif self._current is not None and "from_name" in classes:
            role = "from"
        elif self._current is not None and "text" in classes:
            role = "text"
        elif "page_header" in classes:
            role = "header"
        self._roles.append(role)

    def handle_endtag(self, tag: str) -> None:
        if tag != "div" or not self._roles:
            return
        role = self._roles.pop()
        if role == "message" and self._current is not None:
            if self._current.text:
                self.messages.append(self._current)
            self._current = None

    def handle_data(self, data: str) -> None:
        if "header" in self._roles and not self._current:
            self.chat.append(data.strip())
        elif self._current is None:
            return
        elif "from" in self._roles and data.strip():
            self._current.author = self._author = data.strip()
        elif "text" in self._roles:
            self._current.text.append(data)


def is_telegram_export(html: str) -> bool:
    head = html[:4096]
    return "<title>Exported Data</title>" in head or 'class="page_header"' in head


def telegram_messages(html: str) -> tuple[str | None, list[TelegramMessage]]:
    """``(chat name, messages with text)`` of a Telegram Desktop HTML export."""
    parser = _TelegramExport()
    parser.feed(html)
    parser.close()
    chat = " ".join(part for part in parser.chat if part) or None
    return chat, parser.messages
