"""A gunicorn worker killed with SIGKILL while 20 people chat: they reconnect, resume and lose nothing."""

import functools

from chatters import Chatter, assert_nothing_lost_or_doubled, chatting, run_until_all_delivered, stored_messages
from support import wait_until, workspace_of
from wsclient import Person


def test_kill_9_of_the_worker_while_20_clients_chat_loses_and_doubles_nothing(hearth_server, kill_worker):
    server = hearth_server({"HEARTH_REGISTER_LIMIT": "1000/minute"})
    people = [Person(server.url, f"chatter{i}") for i in range(20)]
    channel = workspace_of(*people).channel
    chatters = [Chatter(person, channel["id"], messages=15, pace=0.1) for person in people]

    def two_kills():
        acked_before = None
        for kill in (1, 2):  # each comes mid-chat: every chatter (back) on a socket and getting messages through
            assert wait_until(functools.partial(chatting, chatters, kill, acked_before), timeout=30)
            acked_before = [len(c.acked) for c in chatters]
            kill_worker(server)

    total = run_until_all_delivered(chatters, during=two_kills)
    history = stored_messages(people[0], channel["id"])
    assert_nothing_lost_or_doubled(chatters, history, total)
    assert all(c.connections >= 2 for c in chatters)  # every one of them was cut off and came back
