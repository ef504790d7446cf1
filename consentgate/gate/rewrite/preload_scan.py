"""What Chromium's preload scanner reads of a ``<style>`` that the gate made inert.

The scanner looks ahead in the bytes of a page for what to fetch early, and reads a ``<style>``'s
``@import`` rules whatever the element's ``type``: the inert ``<style type="text/plain">`` of one
that imports a tracker still sent that request in Chromium 156. The scanner stops looking for
``@import`` at the first character that is not whitespace, a comment, ``@`` or ``/``: the inert
form's text therefore starts with ``-->``, which CSS ignores at the top of a sheet (so the sheet
imports as before once the banner brings it back), and which is text in SVG, where the style's
text is markup.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["DATA_SCHEME", "unscanned_style"]

#: A ``data:`` URL's scheme in lower-cased markup (a browser drops tabs and newlines in a URL):
#: the CSS or script it holds may name a tracker (``@import url(data:text/css;base64,...)``).
DATA_SCHEME: Final = re.compile(rb"d[\t\n\r]*+a[\t\n\r]*+t[\t\n\r]*+a[\t\n\r]*+:")


def unscanned_style(new: bytes, low: bytes, tag_end: int, text_end: int) -> bytes:
    """The inert start tag ``new`` of a ``<style>`` whose text is ``low[tag_end:text_end]``
    (lower-cased), with ``-->`` after it when that text holds ``@import``."""
    return new + b"-->" if low.find(b"@import", tag_end, text_end) >= 0 else new
