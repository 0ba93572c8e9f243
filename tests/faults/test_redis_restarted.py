"""Redis restarted (emptied) mid-chat under two workers: fan-out comes back on its own within seconds, and no
acked message is lost (it is in the database) nor shown twice (clients resume what they missed)."""

import time

from chatters import Chatter, assert_nothing_lost_or_doubled, chatting, run_until_all_delivered, stored_messages
from support import wait_until, workspace_of
from wsclient import Person, socket_on


def test_a_redis_restart_mid_chat_loses_nothing_and_fan_out_recovers(hearth_server, redis_server):
    redis_server.client.flushall()
    server = hearth_server({"REDIS_URL": redis_server.url, "HEARTH_REGISTER_LIMIT": "1000/minute"}, workers=2)
    people = [Person(server.url, f"chatter{i}") for i in range(10)]
    channel, probe_channel = workspace_of(*people, channels=("general", "probe")).channels
    sender, worker = socket_on(server, people[0])  # two sockets on different workers: only Redis joins them
    receiver, _ = socket_on(server, people[1], avoid=worker)
    receiver.subscribe(f"chat:{probe_channel['id']}")
    receiver.expect("subscribed")
    chatters = [Chatter(person, channel["id"], messages=20, pace=0.1) for person in people]
    recovered_after = []

    def restart_redis():
        assert wait_until(lambda: chatting(chatters), timeout=30)  # mid-chat
        redis_server.restart(down_for=1.5)  # everything in it is gone: subscriptions, presence, counters
        restarted = time.monotonic()
        for attempt in range(100):  # a message from one worker's socket until the other worker's socket gets one
            ref = sender.request(
                "publish",
                topic=f"chat:{probe_channel['id']}",
                data={"body": f"probe {attempt}", "client_id": f"p{attempt}"},
            )
            sender.expect("ack", ref=ref)
            try:
                if receiver.recv(timeout=0.2)["type"] == "event":
                    recovered_after.append(time.monotonic() - restarted)
                    return
            except TimeoutError:
                continue

    total = run_until_all_delivered(chatters, during=restart_redis, timeout=60)
    assert recovered_after and recovered_after[0] < 5, recovered_after  # seconds, without restarting Hearth
    assert_nothing_lost_or_doubled(chatters, stored_messages(people[0], channel["id"]), total)
