"""Guesses and logins sent all at once, to two gunicorn workers sharing Redis, with the production password hash.

A limit that is only tested before a guess and counted after its ~160 ms hash lets a
burst through whole: 60 wrong passwords at once were all checked against a limit of
10. And a login that waited for a hashing slot with a database connection in hand
kept everyone else from the database.
"""

import itertools
import threading
import time
from collections import Counter

import pyotp
import pytest
import requests
from servers import Hearth, Redis
from support import PASSWORD
from wsclient import Person

names = (f"burst{i}" for i in itertools.count())
addresses = (f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}" for i in itertools.count(1))


@pytest.fixture(scope="module")
def two_workers():
    redis = Redis()
    hearth = Hearth(
        env={
            "REDIS_URL": redis.url,
            "HEARTH_TRUSTED_PROXIES": "1",
            "HEARTH_PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY",
            "HEARTH_LOGIN_SUCCESS_LIMIT": "100000/minute",
        },
        workers=2,
    ).start()
    yield hearth
    hearth.stop()
    redis.stop()


def all_at_once(count, send):
    """`send(i)` from `count` threads released together; the status codes counted."""
    start, answers = threading.Barrier(count), []

    def run(i):
        start.wait()
        try:
            answers.append(send(i).status_code)
        except requests.RequestException as error:
            answers.append(type(error).__name__)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(answers)


def login(server, body, address=None):
    headers = {"Connection": "close", "X-Forwarded-For": address or next(addresses)}
    return requests.post(server.url + "/auth/login", json=body, headers=headers, timeout=60)


def test_sixty_wrong_passwords_at_once_for_one_username_check_at_most_ten(two_workers):
    victim = Person(two_workers.url, next(names))
    answers = all_at_once(60, lambda i: login(two_workers, {"username": victim.username, "password": f"guess {i}"}))
    assert answers[401] <= 10, answers  # the limit: 10 a username in 5 minutes
    assert answers[429] == 60 - answers[401], answers  # every other one refused, none a 500
    assert login(two_workers, {"username": victim.username, "password": PASSWORD}).status_code == 429


def test_wrong_two_step_codes_at_once_after_the_right_password_check_at_most_ten(two_workers):
    victim = Person(two_workers.url, next(names))
    secret = victim.api("POST", "/auth/2fa/setup").json()["secret"]
    assert victim.api("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    right = {pyotp.TOTP(secret).at(time.time() + step * 30) for step in (-1, 0, 1)}
    wrong = [code for code in (f"{n:06d}" for n in range(1000)) if code not in right][:150]
    answers = all_at_once(
        150, lambda i: login(two_workers, {"username": victim.username, "password": PASSWORD, "totp": wrong[i]})
    )
    assert answers[401] <= 10, answers
    assert answers[429] == 150 - answers[401], answers


def test_wrong_password_confirmations_at_once_check_at_most_ten(two_workers):
    """Turning two-step sign-in off asks for the password: its wrong attempts are limited per session."""
    victim = Person(two_workers.url, next(names))
    secret = victim.api("POST", "/auth/2fa/setup").json()["secret"]
    assert victim.api("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    headers = {"X-CSRF-TOKEN": victim.http.cookies.get("csrf_access_token"), "Connection": "close"}
    cookies = victim.http.cookies.get_dict()

    def disable(i):
        return requests.post(
            two_workers.url + "/auth/2fa/disable",
            json={"password": f"guess {i}"},
            headers=headers,
            cookies=cookies,
            timeout=60,
        )

    answers = all_at_once(60, disable)
    assert answers[401] <= 10, answers
    assert answers[429] == 60 - answers[401], answers
    assert victim.api("GET", "/api/me").json()["two_factor"] is True


def test_logins_for_unknown_usernames_leave_the_database_to_everyone_else(two_workers):
    """60 logins at once for accounts that do not exist, each waiting its turn to hash: another user's
    page of workspaces took 8.65 s while they held the pool's connections (with 300, a pool timeout's 500)."""
    bystander = Person(two_workers.url, next(names))
    bystander.create("/api/workspaces", {"name": "ours"})
    answers, took = Counter(), []
    logins = threading.Thread(
        target=lambda: answers.update(
            all_at_once(60, lambda i: login(two_workers, {"username": f"nobody{i}", "password": "guess"}))
        )
    )
    logins.start()
    time.sleep(0.3)  # the logins are in, waiting for hashing slots
    while logins.is_alive():
        started = time.perf_counter()
        response = bystander.api("GET", "/api/workspaces")
        took.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        time.sleep(0.1)
    logins.join()
    assert set(answers) <= {401, 429} and answers[401] >= 30, answers
    assert len(took) >= 5 and max(took) < 1.0, took
