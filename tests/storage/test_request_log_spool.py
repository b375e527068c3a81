"""The on-disk spool: appends survive a claim in between, torn or foreign lines are skipped."""

from __future__ import annotations

from pathlib import Path

from cloverleaf.storage.request_log import ADDED_COLUMNS, COLUMNS, to_row
from cloverleaf.storage.request_log_spool import RequestLogSpool, SpoolReader
from tests.storage.request_log_helpers import record


def _ids(path: Path) -> list[str]:
    reader = SpoolReader(path, COLUMNS)
    try:
        return [row["request_id"] for row in reader.next_batch(100)]
    finally:
        reader.close()


def test_claim_renames_the_live_file_and_later_appends_start_a_new_one(tmp_path: Path) -> None:
    spool = RequestLogSpool(tmp_path / "data")
    assert spool.claim() == []  # no data dir yet: nothing to replay
    spool.append([to_row(record("a"), 1), to_row(record("b"), 2)])
    first = spool.claim()
    assert len(first) == 1 and not spool.path.exists()
    spool.append([to_row(record("c"), 3)])
    both = spool.claim()
    assert both[0] == first[0]  # an unfinished replay file is offered again, oldest first
    assert [_ids(path) for path in both] == [["a", "b"], ["c"]]


def test_reader_skips_torn_and_foreign_lines_and_reads_in_batches(tmp_path: Path) -> None:
    spool = RequestLogSpool(tmp_path)
    spool.append([to_row(record("one"), 1)])
    with spool.path.open("ab") as raw:
        raw.write(b'{"request_id": "not-a-full-row"}\n')
        raw.write(b"not json at all\n")
        raw.write(b'{"request_id": "torn')
    spool.append([to_row(record("two"), 2), to_row(record("three"), 3)])
    (path,) = spool.claim()
    reader = SpoolReader(path, COLUMNS)
    batches = [reader.next_batch(2), reader.next_batch(2), reader.next_batch(2)]
    assert [[row["request_id"] for row in batch] for batch in batches] == [
        ["one", "two"],
        ["three"],
        [],
    ]
    assert reader.skipped == 3
    reader.finish()
    assert not path.exists()


def test_a_row_spooled_before_the_unit_columns_reads_them_as_null(tmp_path: Path) -> None:
    """Rows an older version spooled (no request type, no units) are replayed, not dropped."""
    spool = RequestLogSpool(tmp_path)
    old = to_row(record("old"), 1)
    for column in ADDED_COLUMNS:
        del old[column]
    spool.append([old, to_row(record("new"), 2)])
    (path,) = spool.claim()
    reader = SpoolReader(path, COLUMNS, ADDED_COLUMNS)
    try:
        rows = reader.next_batch(10)
    finally:
        reader.close()
    assert [row["request_id"] for row in rows] == ["old", "new"]
    assert all(row.keys() == set(COLUMNS) for row in rows)
    assert rows[0]["request_type"] is None and rows[1]["request_type"] == "chat_completion"
    assert reader.skipped == 0
