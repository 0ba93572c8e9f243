"""Private channels and direct messages over HTTP: every way in from outside is 404, members come and go,
direct messages are one per set of people, mentions and notification levels."""

import pytest


@pytest.fixture
def place(team, new_client):
    """Team plus Dave, a member of the workspace; Alice makes #secret with Bob in it. Carol is outside the workspace,
    Dave outside the channel."""
    dave_client, dave = new_client()
    dave.register("dave")
    ws = team.workspace["id"]
    team.alice.create(f"/api/workspaces/{ws}/members", {"username": "dave"})
    secret = team.alice.create(f"/api/workspaces/{ws}/channels", {"name": "secret", "private": True})
    team.alice.create(f"/api/channels/{secret['id']}/members", {"username": "bob"})
    message = team.alice.create(f"/api/channels/{secret['id']}/messages", {"body": "plans for @bob"})
    team.dave, team.secret, team.message, team.ws = dave, secret, message, ws
    return team


def ids(channels):
    return {c["id"] for c in channels}


def test_a_private_channel_is_made_with_its_creator_as_its_only_member(team):
    ws = team.workspace["id"]
    secret = team.alice.create(f"/api/workspaces/{ws}/channels", {"name": "secret", "private": True})
    assert secret["kind"] == "private" and secret["notify"] == "mentions" and secret["mentions"] == 0
    members = team.alice.call("GET", f"/api/channels/{secret['id']}/members").json
    assert [m["username"] for m in members] == ["alice"]
    public = team.alice.call("GET", f"/api/channels/{team.channel['id']}/members").json
    assert {m["username"] for m in public} == {"alice", "bob"}
    assert team.alice.call("POST", f"/api/workspaces/{ws}/channels", {"name": "x", "private": "yes"}).status_code == 400


def test_every_route_and_page_of_a_private_channel_is_404_from_outside(place):
    secret, dave, carol, ws = place.secret, place.dave, place.carol, place.ws
    cid, mid = secret["id"], place.message["id"]
    attempts = [
        ("GET", f"/api/channels/{cid}/messages", None),
        ("POST", f"/api/channels/{cid}/messages", {"body": "let me in"}),
        ("POST", f"/api/channels/{cid}/read", {"seq": 1}),
        ("GET", f"/api/channels/{cid}/members", None),
        ("POST", f"/api/channels/{cid}/members", {"username": "dave"}),
        ("DELETE", f"/api/channels/{cid}/members/{place.bob.id if hasattr(place.bob, 'id') else 2}", None),
        ("PUT", f"/api/channels/{cid}/notify", {"level": "all"}),
        ("PATCH", f"/api/channels/{cid}", {"name": "renamed"}),
        ("DELETE", f"/api/channels/{cid}", None),
        ("GET", f"/api/messages/{mid}/replies", None),
        ("PATCH", f"/api/messages/{mid}", {"body": "changed"}),
        ("DELETE", f"/api/messages/{mid}", None),
        ("PUT", f"/api/messages/{mid}/reactions/%F0%9F%91%8D", None),
        ("DELETE", f"/api/messages/{mid}/reactions/%F0%9F%91%8D", None),
    ]
    for who in (dave, carol):
        for method, path, body in attempts:
            response = who.call(method, path, body)
            assert response.status_code == 404, (who, method, path, response.status_code)
            assert response.json["error"] == "not_found"
        assert who.client.get(f"/w/{ws}/c/{cid}").status_code == 404
    # the workspace's owner outside the channel sees nothing of it either
    assert ids(dave.call("GET", f"/api/workspaces/{ws}/channels").json) == {place.channel["id"]}
    assert cid in ids(place.bob.call("GET", f"/api/workspaces/{ws}/channels").json)
    assert "secret" not in dave.client.get(f"/w/{ws}").get_data(as_text=True)
    assert "secret" not in dave.client.get(f"/w/{ws}/c/{place.channel['id']}").get_data(as_text=True)
    assert place.dave.call("GET", f"/api/workspaces/{ws}/mentions").json == []


def test_members_add_and_leave_and_only_the_creator_or_owner_removes(place):
    secret, ws = place.secret, place.ws
    path = f"/api/channels/{secret['id']}/members"
    added = place.bob.create(path, {"username": "dave"})  # any member adds
    assert added["username"] == "dave"
    assert place.bob.call("POST", path, {"username": "dave"}).status_code == 409
    assert place.bob.call("POST", path, {"username": "carol"}).status_code == 400  # not in the workspace
    assert place.bob.call("POST", path, {"username": "<script>x</script>"}).status_code == 400
    assert secret["id"] in ids(place.dave.call("GET", f"/api/workspaces/{ws}/channels").json)
    dave_id = next(m["id"] for m in place.bob.call("GET", path).json if m["username"] == "dave")
    bob_id = next(m["id"] for m in place.bob.call("GET", path).json if m["username"] == "bob")
    assert place.bob.call("DELETE", f"{path}/{dave_id}").status_code == 403  # bob did not make it
    assert place.dave.call("DELETE", f"{path}/{dave_id}").status_code == 204  # dave leaves
    assert place.dave.call("GET", f"/api/channels/{secret['id']}/messages").status_code == 404
    assert place.alice.call("DELETE", f"{path}/{dave_id}").status_code == 404  # not a member any more
    assert place.alice.call("DELETE", f"{path}/{bob_id}").status_code == 204  # the creator removes
    assert place.bob.call("GET", f"/api/channels/{secret['id']}/messages").status_code == 404
    public = f"/api/channels/{place.channel['id']}/members"
    assert place.alice.call("POST", public, {"username": "dave"}).status_code == 409


def test_a_removed_workspace_member_leaves_every_private_channel_and_dm(place):
    ws, bob_id = place.ws, place.bob.call("GET", "/api/me").json["id"]
    dm = place.alice.create(f"/api/workspaces/{ws}/dms", {"usernames": ["bob"]})
    assert place.alice.call("DELETE", f"/api/workspaces/{ws}/members/{bob_id}").status_code == 204
    members = place.alice.call("GET", f"/api/channels/{place.secret['id']}/members").json
    assert [m["username"] for m in members] == ["alice"]
    assert [m["username"] for m in place.alice.call("GET", f"/api/channels/{dm['id']}/members").json] == ["alice"]
    place.alice.create(f"/api/workspaces/{ws}/members", {"username": "bob"})  # back in: still out of both
    assert ids(place.bob.call("GET", f"/api/workspaces/{ws}/channels").json) == {place.channel["id"]}
    # until the same people's direct message is opened again: it is theirs, Bob is back in it
    again = place.bob.call("POST", f"/api/workspaces/{ws}/dms", {"usernames": ["alice"]})
    assert again.status_code == 200 and again.json["id"] == dm["id"]
    assert place.bob.call("GET", f"/api/channels/{dm['id']}/messages").status_code == 200
    assert place.bob.call("GET", f"/api/channels/{place.secret['id']}/messages").status_code == 404


def test_a_direct_message_is_one_per_set_of_people_named_after_the_others(place):
    ws = place.ws
    first = place.alice.call("POST", f"/api/workspaces/{ws}/dms", {"usernames": ["bob", "dave"]})
    assert first.status_code == 201
    dm = first.json
    assert dm["kind"] == "dm" and dm["notify"] == "all"
    assert dm["name"] == "bob, dave"
    assert sorted(m["username"] for m in dm["members"]) == ["alice", "bob", "dave"]
    again = place.bob.call("POST", f"/api/workspaces/{ws}/dms", {"usernames": ["dave", "alice", "dave"]})
    assert again.status_code == 200 and again.json["id"] == dm["id"]
    assert again.json["name"] == "alice, dave"  # as Bob sees it
    assert place.dave.call("GET", f"/api/workspaces/{ws}/channels").json[0]["name"] == "alice, bob"
    pair = place.alice.create(f"/api/workspaces/{ws}/dms", {"usernames": ["bob"]})
    assert pair["id"] != dm["id"]
    assert place.dave.call("GET", f"/api/channels/{pair['id']}/messages").status_code == 404
    for bad in ([], ["carol"], ["alice"], ["bob"] * 0 + [f"user{i}" for i in range(9)], "bob", [1]):
        response = place.alice.call("POST", f"/api/workspaces/{ws}/dms", {"usernames": bad})
        assert response.status_code == 400, bad
    assert place.carol.call("POST", f"/api/workspaces/{ws}/dms", {"usernames": ["alice"]}).status_code == 404
    path = f"/api/channels/{dm['id']}/members"
    assert place.alice.call("POST", path, {"username": "dave"}).status_code == 409
    assert place.alice.call("DELETE", f"{path}/{dm['members'][0]['id']}").status_code == 409
    assert place.alice.call("PATCH", f"/api/channels/{dm['id']}", {"name": "x"}).status_code == 409


def test_mentions_are_stored_counted_until_read_and_listed(place):
    ws, secret = place.ws, place.secret
    bob_id = place.bob.call("GET", "/api/me").json["id"]
    assert place.message["mentions"] == [bob_id]
    assert '<span class="mention" data-user-id="%d">@bob</span>' % bob_id in place.message["html"]
    # dave may not read #secret: naming him mentions nobody
    other = place.alice.create(f"/api/channels/{secret['id']}/messages", {"body": "hi @dave and @alice"})
    assert other["mentions"] == []
    listed = {c["id"]: c for c in place.bob.call("GET", f"/api/workspaces/{ws}/channels").json}
    assert listed[secret["id"]]["mentions"] == 1 and listed[secret["id"]]["unread"] == 2
    assert [m["id"] for m in place.bob.call("GET", f"/api/workspaces/{ws}/mentions").json] == [place.message["id"]]
    place.bob.call("POST", f"/api/channels/{secret['id']}/read", {"seq": other["seq"]})
    listed = {c["id"]: c for c in place.bob.call("GET", f"/api/workspaces/{ws}/channels").json}
    assert listed[secret["id"]]["mentions"] == 0
    # an edit that names someone new mentions them; a deletion takes the mention back
    edited = place.alice.call("PATCH", f"/api/messages/{other['id']}", {"body": "now @bob"}).json
    assert edited["mentions"] == [bob_id]
    place.alice.call("DELETE", f"/api/messages/{place.message['id']}")
    assert [m["id"] for m in place.bob.call("GET", f"/api/workspaces/{ws}/mentions").json] == [other["id"]]


def test_at_channel_is_the_owners_and_creators_only(place):
    ws, general = place.ws, place.channel["id"]
    ids_of = {u["username"]: u["id"] for u in place.alice.call("GET", f"/api/workspaces/{ws}/members").json}
    by_owner = place.alice.create(f"/api/channels/{general}/messages", {"body": "@channel standup"})
    assert by_owner["mentions"] == sorted([ids_of["bob"], ids_of["dave"]])
    by_bob = place.bob.create(f"/api/channels/{general}/messages", {"body": "@channel lunch?"})
    assert by_bob["mentions"] == []
    mine = place.bob.create(f"/api/workspaces/{ws}/channels", {"name": "bobs", "private": True})
    place.bob.create(f"/api/channels/{mine['id']}/members", {"username": "dave"})
    in_mine = place.bob.create(f"/api/channels/{mine['id']}/messages", {"body": "hey @channel"})
    assert in_mine["mentions"] == [ids_of["dave"]]
    assert place.alice.create(f"/api/channels/{general}/messages", {"body": "mail@channel.org"})["mentions"] == []


def test_notification_levels(place):
    ws, secret, general = place.ws, place.secret["id"], place.channel["id"]
    assert place.bob.call("PUT", f"/api/channels/{general}/notify", {"level": "all"}).status_code == 204
    assert place.bob.call("PUT", f"/api/channels/{secret}/notify", {"level": "none"}).status_code == 204
    assert place.bob.call("PUT", f"/api/channels/{secret}/notify", {"level": "loud"}).status_code == 400
    assert place.bob.call("PUT", f"/api/channels/{secret}/notify", {}).status_code == 400
    levels = {c["id"]: c["notify"] for c in place.bob.call("GET", f"/api/workspaces/{ws}/channels").json}
    assert levels == {general: "all", secret: "none"}
    levels = {c["id"]: c["notify"] for c in place.alice.call("GET", f"/api/workspaces/{ws}/channels").json}
    assert levels == {general: "mentions", secret: "mentions"}
    # a level set in a public channel does not let anyone into a private one, nor keeps them in after leaving
    bob_id = place.bob.call("GET", "/api/me").json["id"]
    place.alice.call("DELETE", f"/api/channels/{secret}/members/{bob_id}")
    assert secret not in ids(place.bob.call("GET", f"/api/workspaces/{ws}/channels").json)


def form(who, path, **fields):
    return who.client.post(path, data={**fields, "csrf_token": who.csrf()})


def test_the_pages_forms_make_private_channels_and_dms_and_set_levels(place, new_client):
    ws, alice, bob, dave = place.ws, place.alice, place.bob, place.dave
    made = form(alice, f"/w/{ws}/channels", name="hidden-room", private="on")
    assert made.status_code == 303
    room = int(made.location.rsplit("/", 1)[1])
    assert alice.call("GET", f"/api/channels/{room}/members").json[0]["username"] == "alice"
    assert dave.client.get(f"/w/{ws}/c/{room}").status_code == 404
    # the members form: outsiders get 404, members add; the page lists them with Leave and Remove
    assert form(dave, f"/w/{ws}/c/{room}/members", username="dave").status_code == 404
    assert form(alice, f"/w/{ws}/c/{room}/members", username="bob").status_code == 303
    page = bob.client.get(f"/w/{ws}/c/{room}").get_data(as_text=True)
    assert (
        'id="channel-members"' in page
        and "Leave channel" in page
        and '# hidden-room <span class="badge">private</span>' in page
    )
    assert form(bob, f"/w/{ws}/c/{room}/members/{bob.call('GET', '/api/me').json['id']}/remove").status_code == 303
    assert bob.client.get(f"/w/{ws}/c/{room}").status_code == 404
    # a DM from the form, named after the other person; the sidebar's #dms shows it to both
    started = form(alice, f"/w/{ws}/dms", usernames="@bob, dave")
    assert started.status_code == 303
    dm_path = started.location
    again = form(dave, f"/w/{ws}/dms", usernames="alice bob")
    assert again.location == dm_path
    page = bob.client.get(dm_path).get_data(as_text=True)
    assert 'id="dms"' in page and "alice, dave" in page
    # the level's form
    assert form(bob, f"{dm_path}/notify", level="none").status_code == 303
    dm_id = int(dm_path.rsplit("/", 1)[1])
    assert (
        next(c for c in bob.call("GET", f"/api/workspaces/{ws}/channels").json if c["id"] == dm_id)["notify"] == "none"
    )
    assert form(place.carol, f"{dm_path}/notify", level="all").status_code == 404
    # the Mentions view lists what names the person, and nothing of channels they cannot read
    alice.create(f"/api/channels/{place.channel['id']}/messages", {"body": "@dave see this"})
    mentions = dave.client.get(f"/w/{ws}/mentions").get_data(as_text=True)
    assert "see this" in mentions and "plans for" not in mentions


def test_names_with_markup_stay_text_in_dm_names(team, new_client):
    mallory_client, mallory = new_client()
    mallory.register("mallory", display_name='<img src=x onerror="alert(1)">')
    ws = team.workspace["id"]
    team.alice.create(f"/api/workspaces/{ws}/members", {"username": "mallory"})
    dm = team.alice.create(f"/api/workspaces/{ws}/dms", {"usernames": ["mallory"]})
    assert dm["name"] == '<img src=x onerror="alert(1)">'  # JSON as typed; pages escape it
    page = team.alice.client.get(f"/w/{ws}/c/{dm['id']}").get_data(as_text=True)
    assert '<img src=x onerror="alert(1)">' not in page and "&lt;img src=x" in page
