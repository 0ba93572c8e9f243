"""Publish/subscribe between the processes that serve sockets: in-process, or Redis pub/sub.

A message is a string on a named channel ("events", "presence", "sessions").
The in-process broker calls handlers at once and reaches only its own process;
the Redis broker reaches every worker on every host. Neither stores anything:
what a subscriber misses it recovers from the database (see replay.py), told by
the callbacks registered with `when_reconnected`.

One broker per app (`app.extensions["hearth.broker"]`), started with the worker:
ending a session and the socket service both use it, and neither waits for the other.
"""

import logging
import threading
import time
from collections import defaultdict

log = logging.getLogger(__name__)


def dispatch(handlers, channel, message):
    """Hand a message to each handler of its channel: one that fails is logged, and the others still run.

    Publishing follows a commit: a failing handler must neither turn a stored change into an
    error answer nor keep the message from the handlers after it.
    """
    for handler in handlers.get(channel, ()):
        try:
            handler(message)
        except Exception:
            log.exception("broker handler for %s failed", channel)


class LocalBroker:
    """One process: publishing calls the handlers directly, as the Redis listener does."""

    def __init__(self):
        self.handlers = defaultdict(list)

    def subscribe(self, channel, handler):
        self.handlers[channel].append(handler)

    def when_reconnected(self, callback):
        pass  # in one process nothing is ever missed

    def publish(self, channel, message):
        dispatch(self.handlers, channel, message)

    def start(self):
        pass

    def ping(self):
        return True


class RedisBroker:
    """Every process: one listener thread (a greenlet under gevent) per process, reconnecting on failure."""

    PREFIX = "hearth:"

    def __init__(self, url):
        import redis

        self.redis = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=15)
        self.handlers = defaultdict(list)
        self.reconnected = []  # callbacks: what was published while the listener was away is lost
        self._started = False
        self._lock = threading.Lock()

    def subscribe(self, channel, handler):
        self.handlers[channel].append(handler)

    def when_reconnected(self, callback):
        self.reconnected.append(callback)

    def publish(self, channel, message):
        """Publish; a Redis outage loses only the live copy, never stored data, so it is logged, not raised."""
        try:
            self.redis.publish(self.PREFIX + channel, message)
        except Exception as e:  # redis.ConnectionError and friends
            log.warning("broker publish to %s failed: %s", channel, e)

    def ping(self):
        return self.redis.ping()

    def start(self):
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._listen_forever, name="hearth-broker", daemon=True).start()

    def _listen_forever(self):
        delay, first = 0.2, True
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(*(self.PREFIX + channel for channel in self.handlers))
                if not first:
                    for callback in self.reconnected:
                        callback()  # what was published meanwhile is recovered from the database
                first, delay = False, 0.2
                for message in pubsub.listen():
                    self._dispatch(message)
            except Exception as e:
                log.warning("broker connection lost (%s); reconnecting in %.1f s", e, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    pubsub.close()
                except Exception:
                    pass

    def _dispatch(self, message):
        dispatch(self.handlers, message["channel"].decode()[len(self.PREFIX) :], message["data"].decode())


def make_broker(redis_url):
    return RedisBroker(redis_url) if redis_url else LocalBroker()


def init_app(app):
    app.extensions["hearth.broker"] = make_broker(app.config["REDIS_URL"])
