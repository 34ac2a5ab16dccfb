"""The Sessions table's Files column: how many files a session changed, from its checkpoints."""

from __future__ import annotations

from app.tui.screens.sessions_data import COLUMNS, column_widths, full_cells, sort_rows


def row(**values):
    return {"id": "s", "title": "fix add", "status": "completed", "started_at": "2026-12-01T10:00:00", **values}


def test_the_count_is_shown_and_unknown_is_a_dash_never_zero():
    assert full_cells(row(files_changed=3))["files"] == "3"
    assert full_cells(row(files_changed=None))["files"] == "—"  # no checkpoint recorded: not known to be 0


def test_files_sort_with_unknown_first_and_the_column_gives_way_before_the_outcome_and_cost():
    rows = [row(id="a", files_changed=2), row(id="b", files_changed=None), row(id="c", files_changed=5)]
    assert [r["id"] for r in sort_rows(rows, "files", reverse=False)] == ["b", "a", "c"]

    wide = column_widths(rows, COLUMNS, 200)
    narrow = column_widths(rows, COLUMNS, 80)
    assert "files" in wide
    assert "files" not in narrow and {"title", "outcome", "cost"} <= set(narrow)
