"""A restart without a gap (deploy/hearth-restart): the new gunicorn master, on the same listening socket, serves
before the old one closes its sockets with 1001. Clients chatting through it are back within seconds, with
nothing lost or doubled, and no connection attempt meanwhile is refused."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from servers import ROOT, Hearth
from support import wait_until, workspace_of
from wsclient import Person

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "faults"))  # the fault suite's chat clients
from chatters import (
    Chatter,
    assert_nothing_lost_or_doubled,
    chatting,
    run_until_all_delivered,
    stored_messages,
)


class Prober(threading.Thread):
    """Opens a new connection every 20 ms and asks /healthz: every refusal or failure is kept."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.failures, self.tries, self.done = url, [], 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                status = requests.get(self.url + "/healthz", timeout=5, headers={"Connection": "close"}).status_code
                if status != 200:
                    self.failures.append(status)
            except requests.RequestException as e:
                self.failures.append(repr(e))
            self.tries += 1
            time.sleep(0.02)

    def stop(self):
        self.done.set()
        self.join(10)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_a_restart_serves_from_the_new_master_before_the_old_one_says_1001(tmp_path):
    pidfile = tmp_path / "gunicorn.pid"
    server = Hearth(env={"HEARTH_PIDFILE": str(pidfile)})
    server.gunicorn = (str(Path(sys.executable).parent / "gunicorn"),)  # as systemd runs it: USR2 re-execs it
    server.start()
    old = server.process.pid
    new = None
    prober = Prober(server.url)
    try:
        people = [Person(server.url, f"chatter{i}") for i in range(6)]
        channel = workspace_of(*people).channel
        chatters = [Chatter(person, channel["id"], messages=40, pace=0.1) for person in people]

        def restart():
            nonlocal new
            assert wait_until(lambda: chatting(chatters), timeout=30)
            prober.start()
            assert wait_until(lambda: prober.tries >= 5, timeout=10)
            done = subprocess.run(
                [ROOT / "deploy" / "hearth-restart", pidfile], capture_output=True, text=True, timeout=90
            )
            assert done.returncode == 0, done.stderr + server.output()
            new = int((tmp_path / "gunicorn.pid.2").read_text())
            assert new != old and alive(new)
            # the old master ends once its sockets are closed; every chatter is back within a few seconds
            assert wait_until(lambda: all(c.connections >= 2 for c in chatters), timeout=5)
            assert server.process.wait(30) == 0

        total = run_until_all_delivered(chatters, during=restart, timeout=60)
        prober.stop()
        history = stored_messages(people[0], channel["id"])
        assert_nothing_lost_or_doubled(chatters, history, total)
        assert prober.failures == [] and prober.tries > 10
        # the new master took the pid file over, and serves
        assert wait_until(lambda: pidfile.exists() and int(pidfile.read_text()) == new, timeout=10)
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    finally:
        prober.done.set()
        for pid in (new, old):
            if pid and alive(pid):
                os.kill(pid, signal.SIGINT)
                wait_until(lambda pid=pid: not alive(pid), timeout=20)
        server.stop()
