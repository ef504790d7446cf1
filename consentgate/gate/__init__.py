"""The response path: what the gate does to the app's responses on their way back.

``html_response`` (which responses are rewritten, their codings, Content-Length, Vary), ``rewrite/``
(the pure streaming HTML rewriter), ``cookie_filter`` (Set-Cookie of refused categories dropped),
``injection`` (the tags injected into every page), ``banner`` (the built banner bundle and its route)
and ``texts`` (the banner's texts in every built-in language).
"""
