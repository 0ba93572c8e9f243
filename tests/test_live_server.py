"""The real thing: gunicorn with the gevent worker on a loopback port, driven by a real HTTP client."""

import os
import signal
import subprocess
import sys
import threading

import jwt
import pytest
import requests
from servers import ROOT, SECRET, free_port
from support import PASSWORD, expired, wait_until


def register(url, username="alice"):
    browser = requests.Session()
    response = browser.post(f"{url}/auth/register", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return browser


def csrf(browser, kind):
    return {"X-CSRF-TOKEN": browser.cookies.get(f"csrf_{kind}_token")}


def run_out_access_token(browser):
    """The browser's access cookie, as it is once the token in it has expired."""
    cookie = next(c for c in browser.cookies if c.name == "access_token_cookie")
    cookie.value = expired(cookie.value, SECRET)


def test_login_expire_refresh_logout_cycle(hearth_server):
    server = hearth_server()
    url = server.url
    browser = register(url)
    browser.post(f"{url}/auth/logout", headers=csrf(browser, "refresh"))
    login = browser.post(f"{url}/auth/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200
    assert browser.get(f"{url}/api/me").json()["username"] == "alice"

    run_out_access_token(browser)
    ran_out = browser.get(f"{url}/api/me")
    assert (ran_out.status_code, ran_out.json()["error"]) == (401, "token_expired")
    refreshed = browser.post(f"{url}/auth/refresh", headers=csrf(browser, "refresh"))
    assert refreshed.status_code == 200, refreshed.text
    assert browser.get(f"{url}/api/me").status_code == 200

    access = browser.cookies.get("access_token_cookie")
    out = browser.post(f"{url}/auth/logout", headers=csrf(browser, "refresh"))
    assert out.status_code == 204
    assert browser.get(f"{url}/api/me").json()["error"] == "token_missing"
    replay = requests.get(f"{url}/api/me", cookies={"access_token_cookie": access})
    assert replay.json()["error"] == "token_revoked"


def test_concurrent_refreshes_rotate_once(hearth_server):
    """Tabs racing with one refresh token: all succeed, and the session rotated exactly once."""
    url = hearth_server().url
    browser = register(url)
    cookies = {
        "refresh_token_cookie": browser.cookies.get("refresh_token_cookie"),
        "csrf_refresh_token": browser.cookies.get("csrf_refresh_token"),
    }
    results = []

    def tab():
        response = requests.post(
            f"{url}/auth/refresh", cookies=cookies, headers={"X-CSRF-TOKEN": cookies["csrf_refresh_token"]}
        )
        results.append((response.status_code, response.cookies.get("refresh_token_cookie")))

    tabs = [threading.Thread(target=tab) for _ in range(6)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join(30)
    assert [status for status, _ in results] == [200] * 6
    jtis = {jwt.decode(token, SECRET, algorithms=["HS256"])["jti"] for _, token in results}
    assert len(jtis) == 1


def test_make_run_serves_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HEARTH_SECRET_KEY": SECRET,
        "HEARTH_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path}/hearth.db",
        "MAKEFLAGS": "",
    }
    env.pop("MAKELEVEL", None)
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def up():
            try:
                return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).json()["status"] == "ok"
            except requests.RequestException:  # not listening yet, or too busy starting to answer in time
                return False

        assert wait_until(up, timeout=120), make.stdout.read() if make.poll() is not None else "not up"
        assert requests.get(f"http://127.0.0.1:{port}/auth/login").status_code == 200
    finally:
        make.send_signal(signal.SIGTERM)
        output = make.communicate(timeout=30)[0]
    # make passes the signal on to gunicorn, waits for it, then ends by that same signal
    assert make.returncode in (0, -signal.SIGTERM), output
    assert "Handling signal: term" in output and "Shutting down: Master" in output, output
    assert "Control socket" not in output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)


def test_two_workers_without_redis_refuse_to_start(tmp_path):
    env = {
        **os.environ,
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
        "HEARTH_SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path}/hearth.db",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "needs REDIS_URL" in result.stderr + result.stdout


def test_production_without_a_secret_refuses_to_start(tmp_path):
    env = {
        **os.environ,
        "PORT": str(free_port()),
        "HEARTH_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path}/hearth.db",
    }
    env.pop("HEARTH_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "HEARTH_SECRET_KEY is required" in result.stderr


def test_login_failures_are_counted_across_workers_with_redis(hearth_server, redis_server):
    redis_server.client.flushall()  # the counts of this test's run on the other database
    server = hearth_server({"REDIS_URL": redis_server.url}, workers=2)
    url = server.url
    register(url, "victim")
    for _ in range(10):
        # a new connection each time, so the attempts spread over both workers
        response = requests.post(
            f"{url}/auth/login",
            json={"username": "victim", "password": "wrong password"},
            headers={"Connection": "close"},
        )
        assert response.status_code == 401
    locked = requests.post(f"{url}/auth/login", json={"username": "victim", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert any(b"victim" in key for key in redis_server.client.keys("*"))
