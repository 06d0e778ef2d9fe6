"""The server's log lines are written in batches (buffered_log.py): an operator still sees every line, in order,
an error at once, a quiet server's lines within about a second, and nothing twice or lost across a fork or a
stop."""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_server.operations.buffered_log import BufferedStreamHandler


class Stream(io.StringIO):
    """stderr as a test sees it: what was written, and how many writes it took."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.written = threading.Event()

    def write(self, text: str) -> int:
        self.writes += 1
        self.written.set()
        return super().write(text)


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger(f"test.buffered.{os.getpid()}.{time.monotonic_ns()}")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()


def attach(logger: logging.Logger, stream: io.TextIOBase, **kwargs: float) -> BufferedStreamHandler:
    handler = BufferedStreamHandler(stream, **kwargs)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    return handler


def test_access_lines_are_written_together_in_order_and_all_of_them_on_close(logger: logging.Logger) -> None:
    stream = Stream()
    handler = attach(logger, stream, flush_after_s=3600)
    for n in range(50):
        logger.info("POST /call-next %d", n)

    assert stream.getvalue() == ""  # held: no write per request
    handler.close()
    assert stream.getvalue() == "".join(f"INFO POST /call-next {n}\n" for n in range(50))
    assert stream.writes == 1


def test_a_warning_is_written_at_once_after_the_lines_before_it(logger: logging.Logger) -> None:
    stream = Stream()
    attach(logger, stream, flush_after_s=3600)
    logger.info("GET /a")
    logger.error("database restarting")

    assert stream.getvalue() == "INFO GET /a\nERROR database restarting\n"


def test_a_full_buffer_is_written_without_waiting(logger: logging.Logger) -> None:
    stream = Stream()
    attach(logger, stream, flush_after_s=3600, flush_bytes=1000)
    for _ in range(100):
        logger.info("%s", "x" * 90)

    assert stream.writes == 9 and len(stream.getvalue()) == 9 * 11 * 96  # each 11th 96-byte line wrote 11


def test_a_quiet_servers_line_appears_within_the_flush_interval(logger: logging.Logger) -> None:
    stream = Stream()
    attach(logger, stream, flush_after_s=0.2)
    started = time.monotonic()
    logger.info("GET /the-only-request")

    assert stream.written.wait(5), "the line was never written without another record to push it"
    assert stream.getvalue() == "INFO GET /the-only-request\n"
    assert time.monotonic() - started >= 0.2 - 0.05  # by the flusher, not at once


def test_lines_held_before_a_fork_are_written_once(logger: logging.Logger, tmp_path: Path) -> None:
    """gunicorn forks its worker from a process that has logged already: the parent's held lines must not be
    written again by the child."""
    path = tmp_path / "stderr.log"
    with path.open("w", encoding="utf-8") as stream:
        handler = attach(logger, stream, flush_after_s=3600)
        logger.info("before the fork")
        pid = os.fork()
        if pid == 0:  # the child: logs a line of its own and exits as a stopping worker does
            logger.info("in the child")
            handler.close()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert status == 0
        logger.info("in the parent")
        handler.close()

    assert sorted(path.read_text(encoding="utf-8").splitlines()) == [
        "INFO before the fork", "INFO in the child", "INFO in the parent"]
