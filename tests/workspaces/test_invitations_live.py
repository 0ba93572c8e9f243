"""An invitation used past its count by people at once, through a live gunicorn with two workers, on SQLite and
PostgreSQL: the use count is one atomic statement, so exactly `max_uses` people join."""

import threading

from wsclient import Person


def test_ten_people_accepting_a_three_use_link_at_once_join_exactly_three(hearth_server, redis_server):
    redis_server.client.flushall()
    server = hearth_server({"REDIS_URL": redis_server.url}, workers=2)
    owner = Person(server.url, "owner")
    workspace = owner.create("/api/workspaces", {"name": "Busy"})
    link = owner.create(f"/api/workspaces/{workspace['id']}/invites", {"max_uses": 3})
    people = [Person(server.url, f"person{i}") for i in range(10)]
    start, answers = threading.Barrier(len(people)), {}

    def accept(person):
        start.wait()
        answers[person.username] = person.api("POST", f"/api/invites/{link['token']}/accept")

    threads = [threading.Thread(target=accept, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200] * 3 + [404] * 7, [(name, a.status_code, a.text[:80]) for name, a in answers.items()]
    assert {a.json()["error"] for a in answers.values() if a.status_code == 404} == {"not_found"}
    joined = {name for name, answer in answers.items() if answer.status_code == 200}
    members = {m["username"] for m in owner.api("GET", f"/api/workspaces/{workspace['id']}/members").json()}
    assert members == {"owner", *joined}
    assert owner.api("GET", f"/api/workspaces/{workspace['id']}/invites").json() == []  # used up: not live
