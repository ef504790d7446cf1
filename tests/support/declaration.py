"""A site config for the cookie declaration's tests, and a strict check of the HTML fragment.

The config adds a service whose texts carry markup and a ``javascript:`` link (both must come out
harmless), turns a built-in service off, adds a category with texts in German, and names a
language the declaration lacks.
"""

from __future__ import annotations

from html.parser import HTMLParser

import html5lib

SITE_CONFIG = """
[services.chatwidget]
name = "Chatty <support> & sales"
provider = "Chatty GmbH"
category = "support_chat"
hosts = ["widget.chatty.example"]
purpose = "Live chat with our team."
privacy_url = "javascript:alert(1)"
cookies = [{ name = "chatty_sid", lifetime = "30 days", purpose = "The chat session." }, "chatty_*"]

[services.hotjar]
enabled = false

[categories.support_chat]
label = "Support chat"
description = "The chat widget of our <support> team."

[texts.de]
"support_chat.label" = "Support-Chat"

[texts.it]
"analytics.label" = "Statistiche"
"""

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


class _TagBalance(HTMLParser):
    """Checks that every opened (non-void) tag is closed, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def assert_valid_fragment(fragment: str) -> None:
    """Fails unless ``fragment`` parses without error and closes every tag it opens, in order."""
    # html5lib in strict mode raises on any parse error (misnested, unclosed, stray end tags…).
    html5lib.HTMLParser(strict=True).parseFragment(fragment)
    balance = _TagBalance()
    balance.feed(fragment)
    balance.close()
    assert balance.errors == [] and balance.stack == []
