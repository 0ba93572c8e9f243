"""Realtime tests across processes: two gunicorn workers of one Hearth that pass events through Redis."""

import pytest


@pytest.fixture
def two_workers(hearth_server, redis_server):
    """Two workers sharing an emptied Redis; presence ends 1 s after a person's last socket closes."""
    redis_server.client.flushall()
    return hearth_server({"REDIS_URL": redis_server.url, "HEARTH_PRESENCE_GRACE": "1"}, workers=2)
