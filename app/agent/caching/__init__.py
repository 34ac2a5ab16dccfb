"""Prompt caching: where the breakpoints go (``breakpoints``), what each prompt's prefix is made of
(``prefix``) and what each call's cache figures are, with why the cache missed (``tracker``).

Providers with automatic caching (OpenAI, DeepSeek, Gemini's implicit cache) need no breakpoint:
a byte-stable prefix is enough, and their reported cache reads count the same way.
"""
