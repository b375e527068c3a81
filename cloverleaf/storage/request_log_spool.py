"""Request-log rows the database could not take yet, in an append-only JSONL file in the data
dir: a database outage or a burst the database cannot keep up with costs disk, never a line.

Every method blocks (file I/O): the writer calls them through `asyncio.to_thread`. Several
processes may share one data dir: appends hold an exclusive `flock` and re-check that the path
still names the file they locked; a replayer claims the spool by renaming it under that lock, so
no append lands in a file already being replayed. Replaying a file twice is harmless (rows are
keyed by request id and inserted with ON CONFLICT DO NOTHING)."""

from __future__ import annotations

import fcntl
import logging
import os
import uuid
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

log = logging.getLogger("cloverleaf.storage")

#: one request-log row: column name → value (cost as decimal text)
Row = dict[str, Any]


class RequestLogSpool:
    """`append` batches that could not be written; `claim` the spooled files for replay."""

    def __init__(self, directory: Path, name: str = "request-log") -> None:
        self.directory = directory
        self.name = name
        self.path = directory / f"{name}.spool.jsonl"

    def append(self, rows: Sequence[Row]) -> None:
        """Durably append `rows` (fsync'd) to the live spool file."""
        data = b"".join(orjson.dumps(row) + b"\n" for row in rows)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if not _still_named(fd, self.path):
                    continue  # claimed for replay between open and lock: use the new file
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data  # a crash tore the last line: keep ours whole
                _write_all(fd, data)
                os.fsync(fd)
                return
            finally:
                os.close(fd)

    def claim(self) -> list[Path]:
        """Rename the live spool (if any) to a replay file; return every replay file, oldest
        first, including ones an earlier replay left unfinished."""
        fd = _open_existing(self.path)
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if _still_named(fd, self.path):
                    os.rename(self.path, self.directory / self._replay_name())
            finally:
                os.close(fd)
        if not self.directory.is_dir():
            return []
        found = self.directory.glob(f"{self.name}.replay-*.jsonl")
        return sorted(found, key=lambda path: (_mtime(path), path.name))

    def _replay_name(self) -> str:
        return f"{self.name}.replay-{uuid.uuid4().hex}.jsonl"


class SpoolReader:
    """Reads one claimed file a batch at a time (a long outage's spool need not fit in memory);
    lines that are torn or not a row of `columns` are skipped and counted. A row spooled by an
    older version may lack the `optional` columns added since: they read as NULL."""

    def __init__(
        self, path: Path, columns: Collection[str], optional: Collection[str] = ()
    ) -> None:
        self.path = path
        self.columns = frozenset(columns)
        self.optional = frozenset(optional)
        self._required = self.columns - self.optional
        self.skipped = 0
        self._file: BinaryIO | None = None

    def next_batch(self, size: int) -> list[Row]:
        """Up to `size` rows; an empty list at the end of the file (or if it is gone)."""
        if self._file is None:
            try:
                self._file = self.path.open("rb")
            except FileNotFoundError:
                return []  # another process replayed and removed it
        rows: list[Row] = []
        while len(rows) < size:
            line = self._file.readline()
            if not line:
                break
            row = self._parse(line)
            if row is not None:
                rows.append(row)
        return rows

    def _parse(self, line: bytes) -> Row | None:
        if not line.strip():
            return None
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            row = None
        if isinstance(row, dict) and self._required <= row.keys() <= self.columns:
            return row if len(row) == len(self.columns) else dict.fromkeys(self.columns) | row
        self.skipped += 1
        return None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def finish(self) -> None:
        """Every row of the file is in the database: remove it."""
        self.close()
        if self.skipped:
            log.warning(
                "request log spool %s: skipped %d unreadable lines", self.path, self.skipped
            )
        self.path.unlink(missing_ok=True)


def _still_named(fd: int, path: Path) -> bool:
    """True when `path` still names the file open as `fd` (not renamed or replaced since)."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _open_existing(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
