"""Attacks with correct credentials or on one's own account: stalling a worker with logins, piling up sessions,
and a username lock that kept its owner from changing the password."""

import itertools
import statistics
import threading
import time

import requests
from servers import live_server
from support import PASSWORD
from wsclient import Person, login

accounts = (f"account{i}" for i in itertools.count())


# Hearth with the production password hash (argon2id, 64 MiB: about 160 ms of CPU), successful logins
# not limited (so that every login in the test hashes) and at most 5 live sessions per user
real_hashing = live_server(
    {
        "HEARTH_PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY",
        "HEARTH_LOGIN_SUCCESS_LIMIT": "100000/minute",
        "HEARTH_MAX_SESSIONS_PER_USER": "5",
    }
)


def ping_times(sock, seconds, every=0.05):
    """Round trips, in milliseconds, of pings sent every 50 ms for `seconds` (under the socket's frame limit)."""
    times, start = [], time.monotonic()
    for slot in range(int(seconds / every)):
        time.sleep(max(0.0, start + slot * every - time.monotonic()))  # pacing, not waiting for anything
        sent = time.perf_counter()
        sock.alive()
        times.append((time.perf_counter() - sent) * 1000)
    return times


def test_correct_logins_in_parallel_do_not_stall_another_users_socket(real_hashing):
    """Three correct logins at a time for 4 s: with hashing on the worker's one thread, another user's ping
    went from 1 ms to 388 ms (p50). Hashing now runs in gevent's thread pool while the loop serves sockets."""
    bystander, logins = (
        Person(real_hashing.url, next(accounts)),
        [Person(real_hashing.url, next(accounts)) for _ in range(3)],
    )
    sock = bystander.socket()
    quiet = statistics.median(ping_times(sock, 1.0))
    stop, done = threading.Event(), []

    def log_in_again_and_again(person):
        while not stop.is_set():
            response = requests.post(
                real_hashing.url + "/auth/login", json={"username": person.username, "password": PASSWORD}, timeout=30
            )
            assert response.status_code == 200, response.text
            done.append(response)

    threads = [threading.Thread(target=log_in_again_and_again, args=(p,)) for p in logins]
    for thread in threads:
        thread.start()
    try:
        busy = ping_times(sock, 4.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert len(done) >= 3  # the logins did run (and hash) meanwhile
    # on two busy cores: about 20 ms, against over 1,000 ms with the hashing on the loop
    assert statistics.median(busy) < 100, (quiet, statistics.median(busy), max(busy), len(done))


def test_a_users_live_sessions_are_capped_and_those_used_longest_ago_end(real_hashing):
    """Each correct login left a live session row, without bound. At most 5 here: the first ones end, with
    their sockets, as a logout would end them."""
    first = Person(real_hashing.url, next(accounts))
    sock = first.socket()
    bot = first.api("POST", "/auth/tokens", {"name": "a bot"}).json()["token"]
    later = [Person(real_hashing.url, first.username, register=False).login() for _ in range(5)]
    assert sock.close_code() == 4403
    assert first.api("GET", "/api/me").json()["error"] == "token_revoked"
    devices = later[-1].api("GET", "/auth/sessions").json()
    assert len(devices) == 5
    assert all(p.api("GET", "/api/me").status_code == 200 for p in later)
    # a personal access token is no login: logins never end it
    assert requests.get(real_hashing.url + "/api/me", headers={"Authorization": f"Bearer {bot}"}).status_code == 200


def test_correct_logins_of_one_username_are_limited(server, person):
    """Correct logins were never limited: each costs a password hash and starts a session."""
    victim, bystander = person(), person()
    for _ in range(10):
        assert login(server, victim.username, PASSWORD, "198.51.100.20").status_code == 200
    limited = login(server, victim.username.upper(), PASSWORD, "198.51.100.21")  # any case, any address
    assert (limited.status_code, limited.json()["error"]) == (429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert login(server, bystander.username, PASSWORD, "198.51.100.20").status_code == 200
    assert victim.api("GET", "/api/me").status_code == 200  # sessions already open go on


def test_a_locked_username_does_not_stop_its_owner_changing_the_password(server, person):
    """Ten failed logins with the victim's username lock it, as documented; they also made the victim's own
    password change answer 429, so a person who feared an attack could not change their password."""
    victim = person()
    for guess in range(10):
        assert login(server, victim.username.upper(), f"guess {guess}", "203.0.113.30").status_code == 401
    assert login(server, victim.username, PASSWORD, "198.51.100.30").status_code == 429  # the lock holds
    changed = victim.api("POST", "/auth/password", {"current_password": PASSWORD, "new_password": "a new password!"})
    assert changed.status_code == 204, changed.text
    # limited on its own: wrong current passwords from one session
    for _ in range(10):
        wrong = victim.api("POST", "/auth/password", {"current_password": "not it", "new_password": "whatever pw"})
        assert wrong.status_code == 401
    wrong = victim.api("POST", "/auth/password", {"current_password": "a new password!", "new_password": "x" * 12})
    assert (wrong.status_code, wrong.json()["error"]) == (429, "rate_limited")
