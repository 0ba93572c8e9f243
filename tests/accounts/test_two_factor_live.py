"""Two-step sign-in against the running server: one code, sent eight times at once to two workers, signs in once."""

import threading
import time

import pyotp
import requests
from support import PASSWORD
from wsclient import Person


def test_the_same_code_sent_eight_times_at_once_to_two_workers_signs_in_once(hearth_server, redis_server):
    redis_server.client.flushall()
    server = hearth_server({"REDIS_URL": redis_server.url}, workers=2)
    alice = Person(server.url, "alice")
    secret = alice.api("POST", "/auth/2fa/setup").json()["secret"]
    totp = pyotp.TOTP(secret)
    assert alice.api("POST", "/auth/2fa/enable", {"code": totp.now()}).status_code == 200
    code = totp.at(time.time() + 30)  # the next step: not spent by enabling, accepted one step early
    body = {"username": "alice", "password": PASSWORD, "totp": code}
    start, answers = threading.Barrier(8), []

    def attempt():
        start.wait()
        response = requests.post(server.url + "/auth/login", json=body, headers={"Connection": "close"}, timeout=10)
        answers.append(response.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(answers) == [200] + [401] * 7
