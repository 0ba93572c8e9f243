"""The settings pages without JavaScript: devices, password, two-step sign-in and tokens, each a form post."""

import re

import pyotp
from support import PASSWORD

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"


def form_post(auth, path, **fields):
    return auth.client.post(path, data={**fields, "csrf_token": auth.csrf()})


def test_devices_are_named_and_the_current_one_comes_first(auth, new_client):
    auth.client.post(
        "/auth/register", json={"username": "alice", "password": PASSWORD}, headers={"User-Agent": FIREFOX_WINDOWS}
    )
    _, laptop = new_client()
    laptop.login(headers={"User-Agent": CHROME_MAC})  # the most recently active, yet not this device
    page = auth.client.get("/settings/sessions").get_data(as_text=True)
    names = re.findall(r'class="device-name"[^>]*>([^<]+)<', page)
    assert names == ["Firefox on Windows", "Chrome on macOS"]
    assert page.index("data-current") < page.index("Chrome on macOS")


def test_sign_out_all_other_devices_keeps_this_one_and_the_tokens(client, auth, new_client):
    auth.register()
    token = auth.call("POST", "/auth/tokens", {"name": "bot"}).json["token"]
    others = [new_client()[1] for _ in range(2)]
    for other in others:
        other.login()
    answer = form_post(auth, "/settings/sessions/end-others")
    assert (answer.status_code, answer.location) == (303, "/settings/sessions")
    for other in others:
        assert other.call("GET", "/api/me").json["error"] == "token_revoked"
    assert auth.call("GET", "/api/me").status_code == 200
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "Signed out 2 other devices." in client.get("/settings/sessions").get_data(as_text=True)


def test_the_password_page_changes_the_password_and_signs_out_everything_else(auth, new_client):
    auth.register()
    _, other = new_client()
    other.login()
    mismatch = form_post(
        auth, "/settings/password", current_password=PASSWORD, new_password="n3w password", confirm_password="other one"
    )
    assert mismatch.status_code == 400 and "differ" in mismatch.get_data(as_text=True)
    wrong = form_post(
        auth,
        "/settings/password",
        current_password="not it",
        new_password="n3w password",
        confirm_password="n3w password",
    )
    assert wrong.status_code == 401 and "password is wrong" in wrong.get_data(as_text=True)
    done = form_post(
        auth,
        "/settings/password",
        current_password=PASSWORD,
        new_password="n3w password",
        confirm_password="n3w password",
    )
    assert (done.status_code, done.location) == (303, "/settings/password")
    assert other.call("GET", "/api/me").json["error"] == "token_revoked"
    assert auth.call("GET", "/api/me").status_code == 200
    assert auth.login(password="n3w password").status_code == 200


def test_the_security_page_turns_two_step_on_with_a_qr_code_and_off_with_the_password(auth):
    auth.register()
    assert 'data-state="off"' in auth.client.get("/settings/security").get_data(as_text=True)
    assert form_post(auth, "/settings/security/setup").status_code == 303
    page = auth.client.get("/settings/security").get_data(as_text=True)
    assert 'data-state="setting-up"' in page and "<svg" in page
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page).group(1)
    wrong = form_post(auth, "/settings/security/enable", code="000000" if pyotp.TOTP(secret).now() != "000000" else "1")
    assert wrong.status_code == 400 and 'data-state="setting-up"' in wrong.get_data(as_text=True)
    enabled = form_post(auth, "/settings/security/enable", code=pyotp.TOTP(secret).now())
    codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", enabled.get_data(as_text=True))
    assert enabled.status_code == 200 and len(codes) == 10
    assert auth.call("GET", "/api/me").json["two_factor"] is True
    assert "10 recovery codes left" in auth.client.get("/settings/security").get_data(as_text=True)
    refused = form_post(auth, "/settings/security/disable", password="wrong one")
    assert refused.status_code == 401 and auth.call("GET", "/api/me").json["two_factor"] is True
    assert form_post(auth, "/settings/security/disable", password=PASSWORD).status_code == 303
    assert auth.call("GET", "/api/me").json["two_factor"] is False


def test_the_tokens_page_shows_a_new_token_once_and_deletes_it(client, auth):
    auth.register()
    created = form_post(auth, "/settings/tokens", name="ci <bot>")
    page = created.get_data(as_text=True)
    token = re.search(r'id="new-token-value">(hearth_pat_[\w-]+)<', page).group(1)
    assert created.status_code == 201 and "ci &lt;bot&gt;" in page
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = client.get("/settings/tokens").get_data(as_text=True)
    assert token not in listed and "ci &lt;bot&gt;" in listed
    token_id = auth.call("GET", "/auth/tokens").json[0]["id"]
    assert form_post(auth, f"/settings/tokens/{token_id}/delete").status_code == 303
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json["error"] == "token_revoked"
    assert form_post(auth, f"/settings/tokens/{token_id}/delete").status_code == 404


def test_settings_pages_need_a_session_and_ignore_a_bearer_token(client, auth):
    auth.register()
    token = auth.call("POST", "/auth/tokens", {"name": "bot"}).json["token"]
    client.delete_cookie("access_token_cookie")
    for path in ("/settings/sessions", "/settings/password", "/settings/security", "/settings/tokens"):
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert (answer.status_code, answer.location) == (303, f"/auth/resume?next={path}")
