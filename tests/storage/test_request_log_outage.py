"""A real outage: Postgres reached through a TCP relay that the test cuts and restores. Rows
written while it is down go to the spool and reach the database once it answers again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.engine import make_url

from cloverleaf.storage.engine import create_engine, database_url
from cloverleaf.storage.request_log import RequestLogWriter
from cloverleaf.storage.request_log_spool import RequestLogSpool
from tests.gateway_process import free_port
from tests.management.backends import backend_env
from tests.services import POSTGRES_HOST, POSTGRES_PORT
from tests.storage.request_log_helpers import opened, record, rows_by_id, spool_lines


class Relay:
    """Forwards a loopback port to Postgres; `cut()` closes it and every open connection."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(
            self._relay, "127.0.0.1", self.port, reuse_address=True
        )

    async def cut(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(POSTGRES_HOST, POSTGRES_PORT)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


def test_postgres_down_then_back_loses_nothing(tmp_path: Path) -> None:
    with backend_env("postgres") as env:
        direct = env["CLOVERLEAF_DATABASE_URL"]
        relay = Relay()
        relayed = make_url(direct).set(host="127.0.0.1", port=relay.port)
        asyncio.run(_outage(relay, direct, relayed.render_as_string(hide_password=False), tmp_path))


async def _outage(relay: Relay, direct: str, relayed: str, tmp_path: Path) -> None:
    async with opened(direct, tmp_path) as checker:  # migrates the schema
        await relay.open()
        engine = create_engine(database_url(relayed, tmp_path))
        try:
            writer = RequestLogWriter(engine, RequestLogSpool(tmp_path), write_timeout_s=10)
            writer.sink(record("before"))
            assert await writer.flush()
            await relay.cut()
            writer.sink(record("during-1"))
            writer.sink(record("during-2"))
            assert not await writer.flush()
            assert spool_lines(tmp_path) == 2
            await relay.open()
            writer.sink(record("after"))
            assert await writer.flush()
        finally:
            await engine.dispose()
            await relay.cut()
        rows = await rows_by_id(checker)
    assert set(rows) == {"before", "during-1", "during-2", "after"}
    assert spool_lines(tmp_path) == 0
