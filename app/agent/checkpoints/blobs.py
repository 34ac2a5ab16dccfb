"""Where checkpoints keep file contents: a content-addressed store behind a Protocol."""

from __future__ import annotations

import hashlib
from typing import Protocol


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    """File contents by their sha256. ``put`` may refuse one (a secret in it, too large):
    it says False, and that content cannot be restored later."""

    def put(self, sha: str, data: bytes) -> bool: ...

    def get(self, sha: str) -> bytes | None: ...


class MemoryBlobs(BlobStore):
    """A session without a store: contents kept in memory, for as long as the process runs."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def put(self, sha: str, data: bytes) -> bool:
        self._blobs.setdefault(sha, data)
        return True

    def get(self, sha: str) -> bytes | None:
        return self._blobs.get(sha)
