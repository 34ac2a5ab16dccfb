"""Checks every importer's tests make: a cut file writes nothing, a huge one is read in bounded memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.importers import ImportFormatError, import_path
from tests.support.store import table_counts


def assert_cut_file_writes_nothing(db: Any, source: Path, path: Path, cut: int) -> None:
    """``source`` cut at ``cut`` characters (from the end when negative), written to ``path``: the import
    names the file and a line, says the JSON is not valid, and writes nothing."""
    path.write_text(source.read_text()[:cut])
    before = table_counts(db)
    with pytest.raises(ImportFormatError, match=rf"{path.name.replace('.', '[.]')}:\d+: not valid JSON"):
        import_path(db, path)
    assert table_counts(db) == before


def converted_with_peak(convert: Callable[[Path, str], Iterator[dict[str, Any]]], path: Path) -> tuple[int, int]:
    """(how many events ``convert`` made of the file, the peak of memory it allocated meanwhile)."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in convert(path, "d" * 64))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
