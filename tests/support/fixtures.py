"""Pytest fixtures for the loopback OpenAI-compatible server.

Load them with ``from tests.support.fixtures import *`` in ``tests/conftest.py``
(or ``-p tests.support.fixtures`` on the command line).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.openai_server import OpenAIServer

__all__ = ["openai_server"]


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A started :class:`OpenAIServer`, closed (hanging handlers released) after the test."""
    server = OpenAIServer().start()
    try:
        yield server
    finally:
        server.close()
