"""The accounts domain functions the blueprints and the CLI call."""

import json

import pytest
from support import PASSWORD

from hearth.accounts.sessions import end_all_sessions, end_other_sessions, end_session, live_sessions, start_session
from hearth.accounts.users import change_password, check_login, register_user
from hearth.errors import ApiError


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def test_register_user_refuses_a_taken_name_in_any_case(ctx):
    user = register_user("ada", PASSWORD, "Ada Lovelace")
    assert (user.username, user.display_name) == ("ada", "Ada Lovelace")
    assert register_user("grace", PASSWORD).display_name == "grace"
    with pytest.raises(ApiError) as taken:
        register_user("ada", PASSWORD)
    assert (taken.value.status, taken.value.code) == (409, "conflict")


def test_check_login_names_the_user_or_refuses_without_saying_which_part_was_wrong(ctx):
    ada = register_user("ada", PASSWORD)
    assert check_login("ADA", PASSWORD, "127.0.0.1").id == ada.id
    for username, password in (("ada", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(ApiError) as refused:
            check_login(username, password, "127.0.0.1")
        assert (refused.value.status, refused.value.code) == (401, "invalid_credentials")


def test_ending_sessions_ends_exactly_the_ones_asked_for(ctx):
    ada, grace = register_user("ada", PASSWORD), register_user("grace", PASSWORD)
    laptop, phone, tablet = (start_session(ada, agent).id for agent in ("laptop", "phone", "tablet"))
    graces = start_session(grace, "desk").id

    assert end_session(grace.id, laptop, reason="revoked") is False  # not hers
    assert end_session(ada.id, laptop, reason="revoked") is True
    assert end_session(ada.id, laptop, reason="revoked") is False  # already over
    assert end_other_sessions(ada.id, phone, reason="password_changed") == [tablet]
    assert [s.id for s in live_sessions(ada.id)] == [phone]
    assert end_all_sessions(ada.id, reason="logout") == [phone]
    assert [s.id for s in live_sessions(grace.id)] == [graces]


def test_an_ended_session_is_announced_on_the_broker_with_no_socket_ever_opened(ctx):
    heard = []
    ctx.extensions["hearth.broker"].subscribe("sessions", lambda message: heard.append(json.loads(message)))
    ada = register_user("ada", PASSWORD)
    phone, laptop = start_session(ada, "phone").id, start_session(ada, "laptop").id
    change_password(ada.id, PASSWORD, "another long password", phone)
    assert heard == [[laptop]]
    assert ctx.extensions["hearth.sockets"]._started is False
    with pytest.raises(ApiError) as wrong:
        change_password(ada.id, PASSWORD, "a third password", phone)
    assert wrong.value.code == "invalid_credentials"
