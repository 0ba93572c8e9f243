"""Search and files keep to the one access rule: a private channel's or direct message's text and files are
found and served to its members only, and to nobody once they have left it."""

import io

import pytest
from PIL import Image


@pytest.fixture
def hidden(team, new_client):
    """Alice and Bob talk in #secret and in a direct message, each with a picture; Dave is in the workspace only."""
    dave_client, dave = new_client()
    dave.register("dave")
    ws = team.workspace["id"]
    team.alice.create(f"/api/workspaces/{ws}/members", {"username": "dave"})
    secret = team.alice.create(f"/api/workspaces/{ws}/channels", {"name": "secret", "private": True})
    team.alice.create(f"/api/channels/{secret['id']}/members", {"username": "bob"})
    dm = team.alice.create(f"/api/workspaces/{ws}/dms", {"usernames": ["bob"]})
    team.bob_id = team.bob.call("GET", "/api/me").json["id"]
    team.files = {}
    for channel, word in ((secret, "zeppelin"), (dm, "quokka")):
        file = upload(team.alice, channel, f"{word}.png")
        team.alice.create(
            f"/api/channels/{channel['id']}/messages", {"body": f"the {word} plan", "file_ids": [file["id"]]}
        )
        team.files[word] = file
    team.dave, team.secret, team.dm, team.ws = dave, secret, dm, ws
    return team


def upload(auth, channel, name):
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(image, format="PNG")
    response = auth.client.post(
        f"/api/channels/{channel['id']}/files",
        data={"file": (io.BytesIO(image.getvalue()), name)},
        headers=auth.headers(),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def found(auth, ws, q):
    response = auth.call("GET", f"/api/workspaces/{ws}/search?q={q}")
    assert response.status_code == 200
    return [hit["message"]["body"] for hit in response.json["results"] if hit["kind"] == "message"]


def served(auth, file):
    return auth.client.get(file["url"]).status_code, auth.client.get(file["thumbnail_url"]).status_code


def test_only_the_people_in_a_private_channel_or_dm_find_its_text_or_fetch_its_files(hidden):
    for who in (hidden.alice, hidden.bob):
        assert found(who, hidden.ws, "zeppelin") == ["the zeppelin plan"]
        assert found(who, hidden.ws, "quokka") == ["the quokka plan"]
        [hit] = who.call("GET", f"/api/workspaces/{hidden.ws}/search?q=quokka").json["results"]
        assert hit["channel"]["name"] == ("bob" if who is hidden.alice else "alice")  # the other person, as seen
        assert served(who, hidden.files["zeppelin"]) == (200, 200)
    for word in ("zeppelin", "quokka", "plan", "in:secret zeppelin"):
        assert found(hidden.dave, hidden.ws, word) == []
    for file in hidden.files.values():
        assert served(hidden.dave, file) == (404, 404)
        assert served(hidden.carol, file) == (404, 404)


def test_leaving_a_private_channel_takes_its_text_and_files_away_at_once(hidden):
    left = hidden.bob.call("DELETE", f"/api/channels/{hidden.secret['id']}/members/{hidden.bob_id}")
    assert left.status_code == 204
    assert found(hidden.bob, hidden.ws, "zeppelin") == []
    assert served(hidden.bob, hidden.files["zeppelin"]) == (404, 404)
    assert found(hidden.bob, hidden.ws, "quokka") == ["the quokka plan"]  # the direct message is still his


def test_a_removed_workspace_member_finds_and_fetches_nothing_of_its_dms(hidden):
    hidden.alice.call("DELETE", f"/api/workspaces/{hidden.ws}/members/{hidden.bob_id}")
    assert hidden.bob.call("GET", f"/api/workspaces/{hidden.ws}/search?q=quokka").status_code == 404
    assert served(hidden.bob, hidden.files["quokka"]) == (404, 404)
