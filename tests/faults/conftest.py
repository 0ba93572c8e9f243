"""Fault tests: real processes (gunicorn, Redis, PostgreSQL) failing under clients that keep chatting."""

import os
import signal

import pytest
from support import wait_until


def workers_of(server):
    """The pids of the gunicorn master's worker processes."""
    children = f"/proc/{server.process.pid}/task/{server.process.pid}/children"
    with open(children) as f:
        return [int(pid) for pid in f.read().split()]


@pytest.fixture
def kill_worker():
    """SIGKILL a worker of a server and wait until gunicorn has booted its replacement."""

    def kill(server):
        before = workers_of(server)
        os.kill(before[0], signal.SIGKILL)
        assert wait_until(lambda: len(set(workers_of(server)) - set(before)) == 1, timeout=20)
        assert wait_until(server.ready, timeout=20)  # the replacement has booted and answers
        return before[0]

    return kill
