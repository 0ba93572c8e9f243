"""The server restarts while the browser's refresh is in flight: the client ends refreshed or retrying cleanly,
never signed out by the accident. Real Chromium, the real client, a real gunicorn restart."""

import signal

import pytest
from servers import live_server
from support import workspace_of
from tabs import new_tab
from wsclient import Person

ACCESS_TTL = 8  # the client refreshes at about 6 s


server = live_server({"HEARTH_ACCESS_TTL": str(ACCESS_TTL)}, scope="function")


def restart(server):
    server.process.send_signal(signal.SIGKILL)  # a crash: no goodbye to anyone
    server.process.wait(10)
    server.start()


@pytest.mark.parametrize("lost", ["the request", "the answer"])
def test_a_restart_during_a_refresh_never_signs_the_user_out(chromium, server, lost):
    alice = Person(server.url, "alice")
    place = workspace_of(alice)
    ws, channel = place.workspace, place.channel
    tab = new_tab(chromium, server)
    tab.login("alice", f"/w/{ws['id']}/c/{channel['id']}")
    pages = []
    tab.page.on("framenavigated", lambda frame: pages.append(frame.url))
    interrupted, restarted = [], []

    def refresh_meets_a_restart(route):
        if interrupted:
            return route.continue_()
        interrupted.append(route.request.url)
        if lost == "the answer":
            route.fetch()  # the server rotates the tokens and answers, and the answer is lost with the crash
        restart(server)
        route.abort("connectionreset")
        restarted.append(True)

    tab.page.route("**/auth/refresh", refresh_meets_a_restart)
    tab.wait_until(lambda: restarted, timeout=ACCESS_TTL + 20)  # the client refreshes at about 6 s
    assert interrupted, "the client never refreshed"
    tab.live(timeout=30000)
    tab.send(f"after losing {lost}")
    tab.wait_for_message(f"after losing {lost}")
    assert not [url for url in pages if "/auth/login" in url]  # never sent to log in
    assert tab.count("/auth/refresh") >= 2  # the lost one, and the retry that worked
    stored = alice.api("GET", f"/api/channels/{channel['id']}/messages").json()
    assert [m["body"] for m in stored] == [f"after losing {lost}"]
