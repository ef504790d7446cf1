"""The ``<svg>``/``<math>`` elements the fast path may pass whole, as one regex (C speed).

Pages carry many inline SVG icons; reading each one tag by tag (:mod:`.exact`) would cost a Python
step per tag. :data:`QUIET_FOREIGN` matches (after the ``<``) an element that is plain markup to its
end tag, and the candidate regexes of :mod:`.tokenizer` do not stop at one.
"""

from __future__ import annotations

from .vocabulary import BREAKOUT

__all__ = ["QUIET_FOREIGN"]

#: An ``<svg>``/``<math>`` that is plain markup to its end (the icons pages are full of): only
#: ordinary tags and text, no quote holding ``<``/``>``, no ``:``, ``//``, ``&``, backslash or
#: ``data-cg``, no tag that could leave foreign content or switch the tokenizer. It is no
#: candidate: nothing in it can change a reading or load anything.
_PLAIN = rb"[^<>\"'&\\:/]|/(?![/>])"
_VALUE = rb"=[\t\n\f\r ]*+(?:\"(?:[^\"<>&\\:/]|/(?!/))*+\"|'(?:[^'<>&\\:/]|/(?!/))*+'|[a-z0-9#.%-]++)"
_QUIET_TAG = (
    rb"<(?!(?:/?(?:svg|math|foreignobject|desc|title|annotation-xml|mi|mo|mn|ms|mtext|font|br|p|script|style"
    rb"|textarea|xmp|iframe|noembed|noframes|noscript|plaintext|template|select|image|a|use)|"
    + b"|".join(sorted(BREAKOUT))
    + rb")[\t\n\f\r />])"
    rb"(?:[a-z][a-z0-9-]*+(?:[\t\n\f\r ]++(?!data-cg|on)[a-z][a-z0-9_-]*+(?:"
    + _VALUE
    + rb")?)*+[\t\n\f\r ]*+/?>"
    rb"|/[a-z][a-z0-9-]*+[\t\n\f\r ]*+>)"
)
QUIET_FOREIGN = (
    rb"(?:svg|math)(?:[\t\n\f\r ]++(?!data-cg|on)[a-z][a-z0-9_-]*+(?:" + _VALUE + rb")?)*+[\t\n\f\r ]*+>"
    rb"(?:" + _PLAIN + rb"|" + _QUIET_TAG + rb")*+</(?:svg|math)>"
)
