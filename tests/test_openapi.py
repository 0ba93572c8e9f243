"""`GET /api/openapi.json` stays true: every route is documented, and what the server answers conforms to it."""

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from passkey_device import PasskeyDevice
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support import PASSWORD, settings_for, workspace_of
from wsclient import Person

from app import create_app
from hearth import openapi


def test_every_api_and_json_auth_route_is_documented(tmp_path):
    app = create_app(settings_for(tmp_path))
    missing = openapi.registered_routes(app) - set(openapi.OPERATIONS)
    assert not missing, f"add these to hearth/openapi.py OPERATIONS: {sorted(missing)}"
    documented = {(method.upper(), path) for path, ops in openapi.document(app)["paths"].items() for method in ops}
    assert documented == openapi.registered_routes(app)


def test_the_document_is_public_and_names_its_version_and_error_shape(client):
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    assert answer.json["openapi"] == "3.1.0"
    assert answer.json["components"]["schemas"]["Error"]["required"] == ["error", "message"]
    assert "/api/me" in answer.json["paths"] and "/auth/login" in answer.json["paths"]
    assert "/auth/resume" not in answer.json["paths"]  # an HTML page


def every_route_once(team):
    """A real request for each operation, with ids that exist: (method, path template, concrete path, body)."""
    ws, channel, board = team.workspace["id"], team.channel["id"], team.board["id"]
    alice = team.alice
    message = alice.call("POST", f"/api/channels/{channel}/messages", {"body": "hi", "client_id": "c1"}).json
    card = alice.call("POST", f"/api/boards/{board}/cards", {"column_id": team.columns[0], "title": "t"}).json
    token = alice.call("POST", "/auth/tokens", {"name": "walk"}).json
    spare_board = alice.call("POST", f"/api/workspaces/{ws}/boards", {"name": "spare"}).json
    spare_channel = alice.call("POST", f"/api/workspaces/{ws}/channels", {"name": "spare"}).json
    private = alice.call("POST", f"/api/workspaces/{ws}/channels", {"name": "hush", "private": True}).json
    device, another_device = PasskeyDevice(), PasskeyDevice()
    creation = alice.call("POST", "/auth/passkeys/register/options").json
    passkey = alice.call("POST", "/auth/passkeys", {"credential": device.create(creation), "name": "walk"}).json
    another = another_device.create(alice.call("POST", "/auth/passkeys/register/options").json)
    sign_in = device.get(alice.client.post("/auth/passkeys/login/options", json={}).json)
    invite = alice.call("POST", f"/api/workspaces/{ws}/invites", {"max_uses": 2}).json
    bob = team.bob.call("GET", "/api/me").json["id"]
    return [
        ("GET", "/api/openapi.json", "/api/openapi.json", None),
        ("GET", "/api/me", "/api/me", None),
        ("PATCH", "/api/me", "/api/me", {"display_name": "Alice", "email": "alice@example.com"}),
        ("PUT", "/api/me/avatar", "/api/me/avatar", {"file": "not multipart"}),  # 400
        ("DELETE", "/api/me/avatar", "/api/me/avatar", None),
        ("POST", "/auth/password-reset", "/auth/password-reset", {"login": "alice"}),
        ("POST", "/auth/password-reset/{token}", "/auth/password-reset/" + "x" * 43, {"password": PASSWORD}),  # 404
        ("POST", "/auth/verify-email/{token}", "/auth/verify-email/" + "x" * 43, None),  # 404
        ("GET", "/api/workspaces", "/api/workspaces", None),
        ("POST", "/api/workspaces", "/api/workspaces", {"name": "more"}),
        ("GET", "/api/workspaces/{workspace_id}/members", f"/api/workspaces/{ws}/members", None),
        ("POST", "/api/workspaces/{workspace_id}/members", f"/api/workspaces/{ws}/members", {"username": "carol"}),
        ("GET", "/api/workspaces/{workspace_id}/channels", f"/api/workspaces/{ws}/channels", None),
        ("POST", "/api/workspaces/{workspace_id}/channels", f"/api/workspaces/{ws}/channels", {"name": "random"}),
        ("GET", "/api/channels/{channel_id}/messages", f"/api/channels/{channel}/messages?limit=5", None),
        ("POST", "/api/channels/{channel_id}/messages", f"/api/channels/{channel}/messages", {"body": "yo"}),
        ("POST", "/api/channels/{channel_id}/read", f"/api/channels/{channel}/read", {"seq": 1}),
        ("POST", "/api/workspaces/{workspace_id}/dms", f"/api/workspaces/{ws}/dms", {"usernames": ["bob"]}),
        ("GET", "/api/workspaces/{workspace_id}/mentions", f"/api/workspaces/{ws}/mentions", None),
        ("PUT", "/api/channels/{channel_id}/notify", f"/api/channels/{channel}/notify", {"level": "all"}),
        ("POST", "/api/channels/{channel_id}/members", f"/api/channels/{private['id']}/members", {"username": "bob"}),
        ("GET", "/api/channels/{channel_id}/members", f"/api/channels/{private['id']}/members", None),
        (
            "DELETE",
            "/api/channels/{channel_id}/members/{user_id}",
            f"/api/channels/{private['id']}/members/{bob}",
            None,
        ),
        ("POST", "/api/channels/{channel_id}/files", f"/api/channels/{channel}/files", {"file": "not multipart"}),
        ("POST", "/api/cards/{card_id}/files", f"/api/cards/{card['id']}/files", {"file": "not multipart"}),
        ("GET", "/api/workspaces/{workspace_id}/search", f"/api/workspaces/{ws}/search?q=hi", None),
        ("PUT", "/api/messages/{message_id}/reactions/{emoji}", f"/api/messages/{message['id']}/reactions/👍", None),
        ("DELETE", "/api/messages/{message_id}/reactions/{emoji}", f"/api/messages/{message['id']}/reactions/👍", None),
        ("GET", "/api/messages/{message_id}/replies", f"/api/messages/{message['id']}/replies", None),
        ("PATCH", "/api/messages/{message_id}", f"/api/messages/{message['id']}", {"body": "edited"}),
        ("DELETE", "/api/messages/{message_id}", f"/api/messages/{message['id']}", None),
        ("PATCH", "/api/channels/{channel_id}", f"/api/channels/{spare_channel['id']}", {"name": "renamed"}),
        ("DELETE", "/api/channels/{channel_id}", f"/api/channels/{spare_channel['id']}", None),
        ("GET", "/api/workspaces/{workspace_id}/boards", f"/api/workspaces/{ws}/boards", None),
        ("POST", "/api/workspaces/{workspace_id}/boards", f"/api/workspaces/{ws}/boards", {"name": "plans"}),
        ("GET", "/api/boards/{board_id}", f"/api/boards/{board}", None),
        ("PATCH", "/api/boards/{board_id}", f"/api/boards/{spare_board['id']}", {"name": "renamed"}),
        ("DELETE", "/api/boards/{board_id}", f"/api/boards/{spare_board['id']}", None),
        (
            "POST",
            "/api/boards/{board_id}/cards",
            f"/api/boards/{board}/cards",
            {"column_id": team.columns[1], "title": "x"},
        ),
        ("POST", "/api/boards/{board_id}/columns", f"/api/boards/{board}/columns", {"name": "Review"}),
        ("PATCH", "/api/columns/{column_id}", f"/api/columns/{team.columns[2]}", {"name": "Shipped", "position": 0}),
        ("DELETE", "/api/columns/{column_id}", f"/api/columns/{team.columns[0]}", None),  # 409: holds a card
        ("POST", "/api/cards/{card_id}/comments", f"/api/cards/{card['id']}/comments", {"body": "**looks** good"}),
        ("GET", "/api/cards/{card_id}/comments", f"/api/cards/{card['id']}/comments", None),
        ("PATCH", "/api/cards/{card_id}", f"/api/cards/{card['id']}", {"version": 1, "title": "y", "position": 0}),
        ("GET", "/api/cards/{card_id}/activity", f"/api/cards/{card['id']}/activity", None),
        ("PATCH", "/api/cards/{card_id}", f"/api/cards/{card['id']}", {"version": 1, "title": "stale"}),  # 409
        ("DELETE", "/api/cards/{card_id}", f"/api/cards/{card['id']}", {"version": 2}),
        ("DELETE", "/api/workspaces/{workspace_id}/members/{user_id}", f"/api/workspaces/{ws}/members/3", None),
        ("POST", "/api/workspaces/{workspace_id}/invites", f"/api/workspaces/{ws}/invites", {"expires_in": 3600}),
        ("GET", "/api/workspaces/{workspace_id}/invites", f"/api/workspaces/{ws}/invites", None),
        ("POST", "/api/invites/{token}/accept", f"/api/invites/{invite['token']}/accept", None),
        ("DELETE", "/api/invites/{invitation_id}", f"/api/invites/{invite['id']}", None),
        ("GET", "/api/admin/users", "/api/admin/users", None),
        ("POST", "/api/admin/users", "/api/admin/users", {"username": "erin", "password": PASSWORD}),
        ("PATCH", "/api/admin/users/{user_id}", f"/api/admin/users/{bob}", {"admin": True}),
        ("POST", "/api/admin/users/{user_id}/deactivate", f"/api/admin/users/{bob}/deactivate", None),
        ("POST", "/api/admin/users/{user_id}/reactivate", f"/api/admin/users/{bob}/reactivate", None),
        ("POST", "/api/admin/users/{user_id}/reset-two-factor", f"/api/admin/users/{bob}/reset-two-factor", None),
        ("GET", "/auth/sessions", "/auth/sessions", None),
        ("GET", "/auth/tokens", "/auth/tokens", None),
        ("POST", "/auth/tokens", "/auth/tokens", {"name": "another"}),
        ("DELETE", "/auth/tokens/{token_id}", f"/auth/tokens/{token['id']}", None),
        ("POST", "/auth/2fa/setup", "/auth/2fa/setup", None),
        ("POST", "/auth/2fa/enable", "/auth/2fa/enable", {"code": "nope"}),  # 400
        ("POST", "/auth/2fa/disable", "/auth/2fa/disable", {"password": PASSWORD}),
        ("POST", "/auth/reauthenticate", "/auth/reauthenticate", {"password": PASSWORD}),
        ("POST", "/auth/password", "/auth/password", {"current_password": PASSWORD, "new_password": PASSWORD}),
        ("POST", "/auth/refresh", "/auth/refresh", None),
        ("POST", "/auth/passkeys/register/options", "/auth/passkeys/register/options", None),
        ("POST", "/auth/passkeys", "/auth/passkeys", {"credential": another, "name": "another"}),
        ("GET", "/auth/passkeys", "/auth/passkeys", None),
        ("DELETE", "/auth/passkeys/{passkey_id}", f"/auth/passkeys/{passkey['id']}", None),
        ("POST", "/auth/passkeys/login/options", "/auth/passkeys/login/options", None),
        ("POST", "/auth/passkeys/login", "/auth/passkeys/login", {"credential": sign_in}),
        ("POST", "/auth/login", "/auth/login", {"username": "alice", "password": PASSWORD}),
        ("POST", "/auth/register", "/auth/register", {"username": "dave", "password": PASSWORD}),
        ("DELETE", "/auth/sessions/{session_id}", "/auth/sessions/999", None),  # 404
        ("POST", "/auth/logout-all", "/auth/logout-all", None),
        ("POST", "/auth/logout", "/auth/logout", None),
    ]


def test_every_documented_operation_answers_as_documented(app, team):
    """A real call of each operation (success where it can be, a refusal where it cannot), validated by schemathesis."""
    schema = schemathesis.openapi.from_dict(openapi.document(app))
    served = openapi.registered_routes(app)
    walked = set()
    for method, template, path, body in every_route_once(team):
        if (method, template) not in served:
            continue  # a route the walk knows that this build does not serve
        kind = "refresh" if template in ("/auth/refresh", "/auth/logout", "/auth/logout-all") else "access"
        response = team.alice.client.open(path, method=method, json=body, headers=team.alice.headers(kind))
        assert response.status_code < 500, (path, response.get_data(as_text=True))
        schema[template][method].validate_response(response)  # raises, naming the schema and the answer
        walked.add((method, template))
    assert walked == served


def test_generated_requests_with_a_token_get_no_5xx_and_answers_within_the_document(hearth_server):
    """Property-based: schemathesis makes requests from the document itself and sends them with a token."""
    server = hearth_server()
    owner = Person(server.url, "owner")
    workspace_of(owner, Person(server.url, "member"))
    token = owner.api("POST", "/auth/tokens", {"name": "fuzz"}).json()["token"]
    schema = schemathesis.openapi.from_dict(requests.get(server.url + "/api/openapi.json").json())
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            response = case.call(base_url=server.url, session=session, headers={"Authorization": f"Bearer {token}"})
            case.validate_response(response, checks=checks)

        call()
    # the token still works, and nothing the fuzzer sent broke the server
    assert requests.get(server.url + "/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
