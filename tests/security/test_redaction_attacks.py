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


def test_a_later_member_replaying_the_workspace_gets_no_old_or_deleted_names(team, person):
    alice, ours = team.alice, team.ours
    wid = ours.workspace["id"]
    renamed = alice.create(f"/api/workspaces/{wid}/channels", {"name": "CHANNEL-SECRET-NAME"})
    assert alice.api("PATCH", f"/api/channels/{renamed['id']}", {"name": "CHANNEL-INTERIM-NAME"}).ok
    assert alice.api("PATCH", f"/api/channels/{renamed['id']}", {"name": "launch"}).ok
    dropped = alice.create(f"/api/workspaces/{wid}/channels", {"name": "CHANNEL-DELETED-NAME"})
    assert alice.api("PATCH", f"/api/channels/{dropped['id']}", {"name": "CHANNEL-DELETED-RENAME"}).ok
    assert alice.api("DELETE", f"/api/channels/{dropped['id']}").status_code == 204
    board = alice.create(f"/api/workspaces/{wid}/boards", {"name": "BOARD-SECRET-NAME"})
    assert alice.api("PATCH", f"/api/boards/{board['id']}", {"name": "roadmap"}).ok
    gone = alice.create(f"/api/workspaces/{wid}/boards", {"name": "BOARD-DELETED-NAME"})
    assert alice.api("DELETE", f"/api/boards/{gone['id']}").status_code == 204

    newcomer = person()
    alice.api("POST", f"/api/workspaces/{wid}/members", {"username": newcomer.username})
    events = replay_from_zero(newcomer, f"workspace:{wid}")
    replayed = str(events)
    for taken_back in (
        "CHANNEL-SECRET-NAME",
        "CHANNEL-INTERIM-NAME",
        "CHANNEL-DELETED-NAME",
        "CHANNEL-DELETED-RENAME",
        "BOARD-SECRET-NAME",
        "BOARD-DELETED-NAME",
    ):
        assert taken_back not in replayed
    # what still stands is still there, each event keeping its kind; the deleted ones say only that they were
    kinds = [(e["event"], e["data"].get("id"), e["data"].get("name"), e["data"].get("redacted")) for e in events]
    assert ("channel.created", renamed["id"], "launch", None) in kinds
    assert ("board.created", board["id"], "roadmap", None) in kinds
    assert ("channel.created", dropped["id"], None, True) in kinds
    assert ("board.created", gone["id"], None, True) in kinds
    assert ("channel.deleted", dropped["id"], None, None) in kinds
