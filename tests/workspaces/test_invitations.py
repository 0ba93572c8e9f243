"""Invitation links (docs/protocol.md, "Invitations"), through the test client on SQLite and PostgreSQL: who may
make, list and withdraw them, joining with one, and each way a link stops working."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from support import PASSWORD

from hearth.extensions import db
from hearth.models import Event, Invitation, utcnow
from hearth.workspaces import topics

CREATED_FIELDS = {"id", "workspace_id", "url", "token", "expires_at", "max_uses", "uses", "created_by"}


@pytest.fixture
def dave(new_client):
    _, dave = new_client()
    dave.register("dave")
    return dave


def invite(team, **body):
    return team.alice.create(f"/api/workspaces/{team.workspace['id']}/invites", body)


def accept(person, token):
    return person.call("POST", f"/api/invites/{token}/accept")


def members(team):
    return {m["username"] for m in team.alice.call("GET", f"/api/workspaces/{team.workspace['id']}/members").json}


def test_the_owner_makes_a_link_with_the_documented_fields_and_its_defaults(team):
    link = invite(team)
    assert set(link) == CREATED_FIELDS
    assert link["url"] == f"http://localhost/invite/{link['token']}"
    assert (link["uses"], link["max_uses"], link["workspace_id"]) == (0, 1000, team.workspace["id"])
    assert link["created_by"] == {"id": 1, "username": "alice", "display_name": "alice", "avatar_url": None}
    one = invite(team, max_uses=3, expires_in=60, email="Dave@example.com")
    assert one["max_uses"] == 3 and one["expires_at"] < link["expires_at"]
    assert invite(team, email="someone@example.com")["max_uses"] == 1  # a link for one person works once


def test_the_token_is_stored_only_as_a_digest(team, app):
    link = invite(team)
    with app.app_context():
        rows = db.session.execute(sa.text("SELECT * FROM invitations")).mappings().all()
    assert rows and link["token"] not in str(rows)


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"max_uses": 0}, ["max_uses"]),
        ({"max_uses": 1001}, ["max_uses"]),
        ({"max_uses": "3"}, ["max_uses"]),
        ({"expires_in": 59}, ["expires_in"]),
        ({"expires_in": 2592001}, ["expires_in"]),
        ({"email": "not an address"}, ["email"]),
    ],
)
def test_a_bad_link_request_is_invalid_input_naming_the_field(team, body, fields):
    answer = team.alice.call("POST", f"/api/workspaces/{team.workspace['id']}/invites", body)
    assert (answer.status_code, answer.json["error"], answer.json["fields"]) == (400, "invalid_input", fields)


def test_only_the_owner_makes_or_lists_links_a_member_is_forbidden_and_a_stranger_sees_nothing(team):
    path = f"/api/workspaces/{team.workspace['id']}/invites"
    invite(team)
    for method in ("POST", "GET"):
        assert team.bob.call(method, path, {} if method == "POST" else None).json["error"] == "forbidden"
        stranger = team.carol.call(method, path, {} if method == "POST" else None)
        assert (stranger.status_code, stranger.json["error"]) == (404, "not_found")


def test_accepting_makes_a_member_announces_it_and_accepting_again_changes_nothing(team, app):
    link = invite(team, max_uses=2)
    joined = accept(team.carol, link["token"])
    assert joined.status_code == 200 and joined.json == team.workspace
    assert "carol" in members(team)
    again = accept(team.carol, link["token"])
    assert again.status_code == 200 and again.json == team.workspace
    listed = team.alice.call("GET", f"/api/workspaces/{team.workspace['id']}/invites").json
    assert [(i["id"], i["uses"]) for i in listed] == [(link["id"], 1)]  # the second accept counted nothing
    assert listed[0]["url"] == link["url"]  # the owner can copy it again
    with app.app_context():
        events = db.session.scalars(
            sa.select(Event).where(Event.topic == str(topics.workspace(team.workspace["id"])))
        ).all()
    added = [e for e in events if e.kind == "member.added"]
    assert len(added) == 2 and '"carol"' in added[-1].data  # bob (the team) and carol, once


def test_a_member_already_accepting_is_a_no_op(team):
    link = invite(team, max_uses=1)
    assert accept(team.bob, link["token"]).status_code == 200
    assert accept(team.carol, link["token"]).status_code == 200  # the one use is still there


def test_a_used_up_link_is_not_found(team, dave):
    link = invite(team, max_uses=1)
    assert accept(team.carol, link["token"]).status_code == 200
    used_up = accept(dave, link["token"])
    assert (used_up.status_code, used_up.json["error"]) == (404, "not_found")
    assert "dave" not in members(team)


def test_an_expired_link_is_not_found_and_no_longer_listed(team, app):
    link = invite(team, expires_in=60)
    with app.app_context():
        db.session.execute(
            sa.update(Invitation).where(Invitation.id == link["id"]).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    expired = accept(team.carol, link["token"])
    assert (expired.status_code, expired.json["error"]) == (404, "not_found")
    assert team.alice.call("GET", f"/api/workspaces/{team.workspace['id']}/invites").json == []
    assert team.carol.client.get(f"/invite/{link['token']}").status_code == 404


def test_a_withdrawn_link_is_not_found_and_only_the_owner_withdraws(team):
    link = invite(team)
    assert team.bob.call("DELETE", f"/api/invites/{link['id']}").json["error"] == "forbidden"
    assert team.carol.call("DELETE", f"/api/invites/{link['id']}").json["error"] == "not_found"
    assert team.alice.call("DELETE", f"/api/invites/{link['id']}").status_code == 204
    again = team.alice.call("DELETE", f"/api/invites/{link['id']}")
    assert (again.status_code, again.json["error"]) == (404, "not_found")
    withdrawn = accept(team.carol, link["token"])
    assert (withdrawn.status_code, withdrawn.json["error"]) == (404, "not_found")
    assert "carol" not in members(team)


def test_an_unknown_token_is_not_found(team):
    assert accept(team.carol, "0" * 43).json["error"] == "not_found"
    assert team.carol.client.get("/invite/nothing-here").status_code == 404


def test_a_deactivated_creators_links_stop_working_until_they_are_reactivated(team, dave):
    """Alice, the site's first account, is its admin; Bob owns a workspace of his own and invites."""
    theirs = team.bob.create("/api/workspaces", {"name": "Bob's"})
    link = team.bob.create(f"/api/workspaces/{theirs['id']}/invites", {})
    bob_id = team.bob.call("GET", "/api/me").json["id"]
    assert team.alice.call("POST", f"/api/admin/users/{bob_id}/deactivate").status_code == 204
    dead = accept(team.carol, link["token"])
    assert (dead.status_code, dead.json["error"]) == (404, "not_found")
    assert dave.client.get(f"/invite/{link['token']}").status_code == 404
    assert team.alice.call("POST", f"/api/admin/users/{bob_id}/reactivate").status_code == 204
    assert accept(team.carol, link["token"]).json == theirs


def test_signing_up_with_a_link_joins_its_workspace(team, new_client):
    link = invite(team, max_uses=1)
    client, newcomer = new_client()
    assert newcomer.register("erin", invite=link["token"]).status_code == 201
    assert "erin" in members(team)
    _, late = new_client()
    refused = late.register("frank", invite=link["token"])  # used up: on an open site no account is made
    assert (refused.status_code, refused.json["error"]) == (404, "not_found")
    assert late.login("frank").status_code == 401


def test_an_invite_only_site_signs_up_with_a_link_and_lands_a_form_in_the_workspace(make_app):
    from support import Auth

    app = make_app(REGISTRATION="invite")
    owner = Auth(app.test_client())
    owner.register("owner")
    workspace = owner.create("/api/workspaces", {"name": "Team"})
    link = owner.create(f"/api/workspaces/{workspace['id']}/invites", {})
    browser = app.test_client()
    form = browser.get(f"/auth/register?invite={link['token']}").get_data(as_text=True)
    assert f'name="invite" value="{link["token"]}"' in form and 'id="registration-closed"' not in form
    answer = browser.post(
        "/auth/register", data={"username": "newcomer", "password": PASSWORD, "invite": link["token"], "next": "/"}
    )
    assert answer.status_code == 303 and answer.headers["Location"] == f"/w/{workspace['id']}"
    assert browser.get(f"/w/{workspace['id']}").status_code == 200


def test_the_invite_page_names_the_workspace_and_offers_a_way_in(team, new_client):
    link = invite(team)
    client, _ = new_client()
    signed_out = client.get(f"/invite/{link['token']}").get_data(as_text=True)
    assert 'id="invite-workspace">Hearth team<' in signed_out
    assert 'id="invite-register"' in signed_out and 'id="invite-login"' in signed_out
    assert "invite-join" not in signed_out
    assert f"next=/invite/{link['token']}" in signed_out
    signed_in = team.carol.client.get(f"/invite/{link['token']}").get_data(as_text=True)
    assert 'id="invite-join"' in signed_in and 'id="invite-register"' not in signed_in
    joined = team.carol.client.post(f"/invite/{link['token']}", data={"csrf_token": team.carol.csrf()})
    assert joined.status_code == 303 and joined.headers["Location"] == f"/w/{team.workspace['id']}"
    assert "carol" in members(team)


def test_the_workspace_page_shows_the_owner_the_live_links_and_a_form_to_make_one(team):
    link = invite(team)
    page = team.alice.client.get(f"/w/{team.workspace['id']}").get_data(as_text=True)
    assert link["url"] in page and 'data-copy="' in page and 'id="create-invite-form"' in page
    member_page = team.bob.client.get(f"/w/{team.workspace['id']}").get_data(as_text=True)
    assert link["token"] not in member_page and "create-invite-form" not in member_page
    made = team.alice.client.post(
        f"/w/{team.workspace['id']}/invites", data={"csrf_token": team.alice.csrf(), "max_uses": "5"}
    )
    assert made.status_code == 303
    listed = team.alice.call("GET", f"/api/workspaces/{team.workspace['id']}/invites").json
    assert [i["max_uses"] for i in listed] == [5, 1000]
    withdrawn = team.alice.client.post(
        f"/w/{team.workspace['id']}/invites/{link['id']}/withdraw", data={"csrf_token": team.alice.csrf()}
    )
    assert withdrawn.status_code == 303
    assert [i["id"] for i in team.alice.call("GET", f"/api/workspaces/{team.workspace['id']}/invites").json] == [
        listed[0]["id"]
    ]
