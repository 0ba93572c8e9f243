"""Site admins (docs/protocol.md, "Site admins"): the first account, the admin API, deactivation, registration modes,
and the operator's `flask create-user --admin` / `flask set-admin`, on SQLite and PostgreSQL."""

import pyotp
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from support import PASSWORD, Auth

from hearth.extensions import db

ADMIN_FIELDS = {
    "id",
    "username",
    "display_name",
    "avatar_url",
    "admin",
    "email",
    "deactivated",
    "created_at",
    "last_seen_at",
}


@pytest.fixture
def site(app, auth, new_client):
    """Alice signed up first (the site's admin); Bob and Carol after her."""
    auth.register("alice")
    people = {"alice": auth}
    for name in ("bob", "carol"):
        _, person = new_client()
        person.register(name)
        people[name] = person
    people["ids"] = {name: people[name].call("GET", "/api/me").json["id"] for name in ("alice", "bob", "carol")}
    return people


def test_the_first_account_is_the_sites_admin_and_the_next_ones_are_not(site):
    assert site["alice"].call("GET", "/api/me").json["admin"] is True
    assert site["bob"].call("GET", "/api/me").json["admin"] is False


def admin_routes(ids):
    bob = ids["bob"]
    return [
        ("GET", "/api/admin/users", None),
        ("POST", "/api/admin/users", {"username": "mallory2", "password": PASSWORD, "admin": True}),
        ("PATCH", f"/api/admin/users/{bob}", {"admin": True}),
        ("POST", f"/api/admin/users/{bob}/deactivate", None),
        ("POST", f"/api/admin/users/{bob}/reactivate", None),
        ("POST", f"/api/admin/users/{bob}/reset-two-factor", None),
    ]


def test_anyone_but_a_site_admin_is_forbidden_every_admin_route_and_changes_nothing(site):
    before = site["alice"].call("GET", "/api/admin/users").json
    for method, path, body in admin_routes(site["ids"]):
        answer = site["carol"].call(method, path, body)
        assert (answer.status_code, answer.json["error"]) == (403, "forbidden"), (method, path)
    assert site["alice"].call("GET", "/api/admin/users").json == before
    assert site["bob"].call("GET", "/api/me").status_code == 200  # not deactivated


def test_the_user_list_has_exactly_the_documented_fields(site):
    site["alice"].create("/api/admin/users", {"username": "dave", "password": PASSWORD, "display_name": "Dave D"})
    users = {u["username"]: u for u in site["alice"].call("GET", "/api/admin/users").json}
    assert set(users) == {"alice", "bob", "carol", "dave"}
    assert all(set(u) == ADMIN_FIELDS for u in users.values())
    assert users["alice"]["admin"] and not users["bob"]["admin"]
    assert users["bob"]["last_seen_at"] and users["bob"]["created_at"].endswith("Z")
    assert users["dave"]["last_seen_at"] is None  # added, never signed in
    assert users["dave"]["display_name"] == "Dave D" and users["dave"]["deactivated"] is False


def test_an_admin_adds_an_account_that_signs_in_at_once_and_can_be_an_admin(site, new_client):
    made = site["alice"].create("/api/admin/users", {"username": "erin", "password": PASSWORD, "admin": True})
    assert set(made) == ADMIN_FIELDS and made["admin"] is True and made["display_name"] == "erin"
    _, erin = new_client()
    assert erin.login("erin").status_code == 200
    assert erin.call("GET", "/api/admin/users").status_code == 200
    taken = site["alice"].call("POST", "/api/admin/users", {"username": "bob", "password": PASSWORD})
    assert (taken.status_code, taken.json["error"]) == (409, "conflict")
    bad = site["alice"].call("POST", "/api/admin/users", {"username": "x", "password": "short", "admin": "yes"})
    assert (bad.status_code, bad.json["fields"]) == (400, ["admin", "password", "username"])


def test_deactivation_ends_every_session_and_token_and_refuses_the_login_only_after_a_right_password(site, new_client):
    bob, ids = site["bob"], site["ids"]
    token = bob.create("/auth/tokens", {"name": "bot"})["token"]
    other_client, other_bob = new_client()
    other_bob.login("bob")
    assert site["alice"].call("POST", f"/api/admin/users/{ids['bob']}/deactivate").status_code == 204

    assert bob.call("GET", "/api/me").json["error"] == "token_revoked"
    assert other_bob.call("GET", "/api/me").json["error"] == "token_revoked"
    refresh = bob.refresh()
    assert (refresh.status_code, refresh.json["error"]) == (401, "token_revoked")
    bearer = other_client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert (bearer.status_code, bearer.json["error"]) == (401, "token_revoked")

    _, again = new_client()
    right = again.login("bob")
    assert (right.status_code, right.json["error"]) == (401, "account_deactivated")
    assert "access_token_cookie" not in right.headers.get("Set-Cookie", "")
    wrong = again.login("bob", "not the password")
    assert (wrong.status_code, wrong.json["error"]) == (401, "invalid_credentials")
    listed = {u["username"]: u for u in site["alice"].call("GET", "/api/admin/users").json}
    assert listed["bob"]["deactivated"] is True

    assert site["alice"].call("POST", f"/api/admin/users/{ids['bob']}/reactivate").status_code == 204
    assert again.login("bob").status_code == 200 and again.call("GET", "/api/me").status_code == 200
    assert other_bob.call("GET", "/api/me").json["error"] == "token_revoked"  # the old sessions stay ended


def test_the_login_form_says_the_account_was_deactivated(site, new_client, app):
    site["alice"].call("POST", f"/api/admin/users/{site['ids']['bob']}/deactivate")
    client, _ = new_client()
    page = client.post("/auth/login", data={"username": "bob", "password": PASSWORD})
    assert page.status_code == 401 and "deactivated" in page.get_data(as_text=True)


def test_an_admin_can_neither_deactivate_nor_demote_themself_so_the_site_keeps_an_admin(site):
    alice, me = site["alice"], site["ids"]["alice"]
    for method, path, body in [
        ("POST", f"/api/admin/users/{me}/deactivate", None),
        ("PATCH", f"/api/admin/users/{me}", {"admin": False}),
    ]:
        answer = alice.call(method, path, body)
        assert (answer.status_code, answer.json["error"]) == (409, "conflict"), path
    assert alice.call("GET", "/api/me").json["admin"] is True  # the last admin is still one, and signed in


def test_another_admin_can_demote_or_deactivate_an_admin_who_loses_the_rights_at_once(site):
    alice, bob, ids = site["alice"], site["bob"], site["ids"]
    assert alice.call("PATCH", f"/api/admin/users/{ids['bob']}", {"admin": True}).json["admin"] is True
    assert bob.call("GET", "/api/admin/users").status_code == 200
    assert bob.call("PATCH", f"/api/admin/users/{ids['alice']}", {"admin": False}).status_code == 200
    assert alice.call("GET", "/api/admin/users").json["error"] == "forbidden"
    assert bob.call("POST", f"/api/admin/users/{ids['alice']}/deactivate").status_code == 204
    assert alice.call("GET", "/api/me").json["error"] == "token_revoked"


def test_an_unknown_user_is_not_found(site):
    for path in ("/api/admin/users/99999/deactivate", "/api/admin/users/99999/reactivate"):
        answer = site["alice"].call("POST", path)
        assert (answer.status_code, answer.json["error"]) == (404, "not_found")


def test_resetting_two_step_sign_in_lets_the_password_alone_sign_in(site, new_client):
    bob = site["bob"]
    secret = bob.call("POST", "/auth/2fa/setup").json["secret"]
    assert bob.call("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    _, again = new_client()
    assert again.login("bob").json["error"] == "totp_required"
    assert site["alice"].call("POST", f"/api/admin/users/{site['ids']['bob']}/reset-two-factor").status_code == 204
    assert again.login("bob").status_code == 200
    assert again.call("GET", "/api/me").json["two_factor"] is False


@pytest.mark.parametrize("mode", ["invite", "closed"])
def test_a_site_not_open_refuses_sign_up_without_an_invitation_but_always_takes_its_first_account(make_app, mode):
    app = make_app(REGISTRATION=mode)
    first, second = Auth(app.test_client()), Auth(app.test_client())
    assert first.register("founder").status_code == 201  # an empty site: the first account can always register
    assert first.call("GET", "/api/me").json["admin"] is True
    refused = second.register("latecomer")
    assert (refused.status_code, refused.json["error"]) == (403, "registration_closed")
    bogus = second.register("latecomer", invite="not-a-real-invitation")
    assert (bogus.status_code, bogus.json["error"]) == (403, "registration_closed")
    page = second.client.get("/auth/register").get_data(as_text=True)
    assert 'id="registration-closed"' in page and 'id="register-form"' not in page
    assert ("invitation" if mode == "invite" else "site admin") in page
    # an admin still adds people
    assert first.create("/api/admin/users", {"username": "latecomer", "password": PASSWORD})["admin"] is False
    assert second.login("latecomer").status_code == 200


def test_a_closed_site_refuses_even_a_live_invitation(make_app):
    app = make_app(REGISTRATION="closed")
    owner, stranger = Auth(app.test_client()), Auth(app.test_client())
    owner.register("owner")
    workspace = owner.create("/api/workspaces", {"name": "Team"})
    link = owner.create(f"/api/workspaces/{workspace['id']}/invites", {})
    refused = stranger.register("newcomer", invite=link["token"])
    assert (refused.status_code, refused.json["error"]) == (403, "registration_closed")


def test_an_open_site_shows_the_register_form(client):
    assert 'id="register-form"' in client.get("/auth/register").get_data(as_text=True)


def test_the_top_bar_links_admins_to_the_admin_page_and_no_one_else(site):
    assert 'id="admin-link"' in site["alice"].client.get("/").get_data(as_text=True)
    assert 'id="admin-link"' not in site["bob"].client.get("/").get_data(as_text=True)
    page = site["alice"].client.get("/admin").get_data(as_text=True)
    assert page.count("data-user-id=") == 3 and 'id="users"' in page and 'id="add-user-form"' in page
    assert site["bob"].client.get("/admin").status_code == 403


def test_the_admin_page_deactivates_and_reactivates_through_plain_forms(site):
    alice, bob_id = site["alice"], site["ids"]["bob"]
    form = {"csrf_token": alice.csrf()}
    answer = alice.client.post(f"/admin/users/{bob_id}/deactivate", data=form)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/admin#user-{bob_id}"
    assert site["bob"].call("GET", "/api/me").json["error"] == "token_revoked"
    assert 'data-deactivated="true"' in alice.client.get("/admin").get_data(as_text=True)
    alice.client.post(f"/admin/users/{bob_id}/reactivate", data=form)
    assert 'data-deactivated="true"' not in alice.client.get("/admin").get_data(as_text=True)
    added = alice.client.post("/admin/users", data={**form, "username": "frank", "password": PASSWORD})
    assert added.status_code == 303 and "frank" in alice.client.get("/admin").get_data(as_text=True)
    mine = alice.client.post(f"/admin/users/{site['ids']['alice']}/deactivate", data=form, follow_redirects=True)
    assert "cannot deactivate your own account" in mine.get_data(as_text=True)


def test_the_cli_makes_and_unmakes_admins_but_never_the_last_one(app, site):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-user", "ops", "--admin", "--password", PASSWORD])
    assert made.exit_code == 0 and "created user ops" in made.output and "a site admin" in made.output
    assert runner.invoke(args=["set-admin", "bob"]).exit_code == 0
    assert site["bob"].call("GET", "/api/admin/users").status_code == 200
    for name in ("bob", "ops"):
        assert runner.invoke(args=["set-admin", name, "--off"]).exit_code == 0
    last = runner.invoke(args=["set-admin", "alice", "--off"])
    assert last.exit_code != 0 and "last site admin" in last.output
    assert runner.invoke(args=["set-admin", "nobody"]).exit_code != 0
    assert site["alice"].call("GET", "/api/admin/users").status_code == 200
    assert site["bob"].call("GET", "/api/admin/users").status_code == 403


def test_the_migration_makes_the_oldest_account_of_an_existing_site_its_admin(make_app):
    app = make_app()
    with app.app_context():
        downgrade(revision="0008")
        for user_id, name in ((3, "newest"), (1, "oldest"), (2, "middle")):
            db.session.execute(
                sa.text(
                    "INSERT INTO users (id, username, display_name, password_hash, created_at)"
                    " VALUES (:id, :name, :name, 'x', '2026-01-01')"
                ),
                {"id": user_id, "name": name},
            )
        db.session.commit()
        upgrade()
        admins = db.session.execute(sa.text("SELECT username FROM users WHERE admin")).scalars().all()
    assert admins == ["oldest"]
