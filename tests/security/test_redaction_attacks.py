"""A member added after an edit or a deletion replays from seq 0, looking for the text that was taken back."""


def replay_from_zero(person, topic):
    """Every event of the topic from the beginning, as a socket of `person` receives them."""
    sock = person.socket()
    ref = sock.subscribe(topic, since=0)
    events = []
    while (frame := sock.recv())["type"] == "event":
        events.append(frame)
    assert frame["type"] == "subscribed" and frame["ref"] == ref, frame
    assert [e["seq"] for e in events] == list(range(1, frame["seq"] + 1))  # the seqs stay, none is skipped
    sock.close()
    return events


def test_a_later_member_replaying_from_zero_gets_no_deleted_or_pre_edit_text(team, person):
    alice, ours = team.alice, team.ours
    channel, board = ours.channel["id"], ours.board["id"]
    pasted = alice.api(
        "POST", f"/api/channels/{channel}/messages", {"body": "prod db password: tr0ub4dor", "client_id": "oops"}
    ).json()
    typo = alice.api("POST", f"/api/channels/{channel}/messages", {"body": "meeting at 10 in room 4B"}).json()
    card = alice.api(
        "POST", f"/api/boards/{board}/cards", {"column_id": ours.columns[0], "title": "rotate the AWS key AKIA123"}
    ).json()
    card = alice.api(
        "PATCH", f"/api/cards/{card['id']}", {"version": card["version"], "description": "secret: wJalrXUtnFEMI"}
    ).json()
    edited = alice.api(
        "POST", f"/api/boards/{board}/cards", {"column_id": ours.columns[0], "title": "call the bank re 1234-5678"}
    ).json()
    assert alice.api("DELETE", f"/api/messages/{pasted['id']}").status_code == 204
    assert alice.api("PATCH", f"/api/messages/{typo['id']}", {"body": "meeting at 11"}).status_code == 200
    assert alice.api("DELETE", f"/api/cards/{card['id']}", {"version": card["version"]}).status_code == 204
    assert alice.api("PATCH", f"/api/cards/{edited['id']}", {"version": edited["version"], "title": "call the bank"}).ok

    newcomer = person()
    alice.api("POST", f"/api/workspaces/{ours.workspace['id']}/members", {"username": newcomer.username})
    chat = str(replay_from_zero(newcomer, f"chat:{channel}"))
    cards = str(replay_from_zero(newcomer, f"board:{board}"))
    for taken_back in ("tr0ub4dor", "room 4B"):
        assert taken_back not in chat
    for taken_back in ("AKIA123", "wJalrXUtnFEMI", "1234-5678"):
        assert taken_back not in cards
    assert "meeting at 11" in chat and "call the bank" in cards  # what still stands is still there
