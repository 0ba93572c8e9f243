"""Files on messages and cards (section 9.7): stored, typed by their bytes, served to readers only — and attacked."""

import io
import struct
import zlib
from datetime import timedelta
from pathlib import Path

from PIL import Image

from hearth.extensions import db
from hearth.models import File, utcnow


def picture(fmt="PNG", size=(900, 600), color=(200, 30, 30), **save):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save)
    return out.getvalue()


def upload(auth, path, data, name="file.bin", **headers):
    return auth.client.post(
        path,
        data={"file": (io.BytesIO(data), name)},
        headers={**auth.headers(), **headers},
        content_type="multipart/form-data",
    )


def to_channel(team, data, name="file.bin", who=None):
    return upload(who or team.alice, f"/api/channels/{team.channel['id']}/files", data, name)


def fetch(auth, url, **headers):
    return auth.client.get(url, headers=headers)


def send_with(team, file_ids, body="see attached", who=None):
    who = who or team.alice
    return who.call("POST", f"/api/channels/{team.channel['id']}/messages", {"body": body, "file_ids": file_ids})


def stored_files(app):
    directory = Path(app.config["FILE_DIR"])
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_an_image_is_stored_typed_thumbnailed_and_attached_to_a_message(team, app):
    uploaded = to_channel(team, picture(), "holiday.png")
    assert uploaded.status_code == 201
    file = uploaded.json
    assert set(file) == {"id", "name", "size", "content_type", "url", "thumbnail_url"}
    assert (file["name"], file["content_type"], file["size"]) == ("holiday.png", "image/png", len(picture()))
    assert file["url"] == f"/files/{file['id']}/holiday.png"
    served = fetch(team.alice, file["url"])
    assert served.status_code == 200 and served.data == picture()
    assert served.mimetype == "image/png" and "attachment" not in served.headers.get("Content-Disposition", "")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"].startswith("private")
    thumb = fetch(team.alice, file["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    assert Image.open(io.BytesIO(thumb.data)).size == (400, 267)

    assert fetch(team.bob, file["url"]).status_code == 404  # not sent yet: its uploader's alone
    sent = send_with(team, [file["id"]], body="")
    assert sent.status_code == 201 and sent.json["files"] == [file] and sent.json["body"] == ""
    assert fetch(team.bob, file["url"]).status_code == 200
    history = team.bob.call("GET", f"/api/channels/{team.channel['id']}/messages").json
    assert history[-1]["files"] == [file]


def test_thumbnails_are_upright_and_carry_no_metadata(team):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    exif[0x010E] = "secret description"
    photo = picture("JPEG", size=(800, 400), exif=exif.tobytes(), comment=b"gps here")
    file = to_channel(team, photo, "photo.jpg").json
    assert file["content_type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(fetch(team.alice, file["thumbnail_url"]).data))
    assert thumb.size == (200, 400)  # turned upright, then fitted in 400 px
    assert not thumb.getexif() and "comment" not in thumb.info and "exif" not in thumb.info


def test_the_type_comes_from_the_bytes_never_the_name(team):
    html = to_channel(team, b"<html><script>alert(document.cookie)</script></html>", "page.png").json
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    svg_file = to_channel(team, svg, "logo.svg").json
    png_named_html = to_channel(team, picture(), "evil.html").json
    polyglot = picture("GIF", size=(4, 4)) + b"<html><script>alert(1)</script></html>"
    poly_file = to_channel(team, polyglot, "both.gif").json
    for file in (html, svg_file):
        assert file["content_type"] == "application/octet-stream" and file["thumbnail_url"] is None
        served = fetch(team.alice, file["url"])
        assert served.mimetype == "application/octet-stream"
        assert served.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in served.headers["Content-Security-Policy"]
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert png_named_html["content_type"] == "image/png"
    assert fetch(team.alice, png_named_html["url"]).mimetype == "image/png"
    served = fetch(team.alice, poly_file["url"])
    assert served.mimetype in ("image/gif", "application/octet-stream") and "html" not in served.mimetype
    assert "sandbox" in served.headers["Content-Security-Policy"]


def png_declaring(width, height):
    """A tiny PNG whose header declares width × height pixels: a decompression bomb's shape."""
    data = picture(size=(1, 1))
    ihdr = struct.pack(">II", width, height) + data[24:29]
    chunk = b"IHDR" + ihdr
    return data[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


def test_a_decompression_bomb_is_kept_as_a_download_without_decoding(team):
    bomb = png_declaring(100_000, 100_000)
    uploaded = to_channel(team, bomb, "bomb.png")
    assert uploaded.status_code == 201
    assert uploaded.json["content_type"] == "application/octet-stream" and uploaded.json["thumbnail_url"] is None
    assert fetch(team.alice, uploaded.json["url"]).headers["Content-Disposition"].startswith("attachment")


def test_uploads_over_the_limit_are_413_and_leave_nothing(make_app):
    from support import Auth, team_of

    app = make_app(MAX_UPLOAD=100 * 1024)
    client = app.test_client()
    alice = Auth(client)
    alice.register("alice")
    bob, carol = Auth(app.test_client()), Auth(app.test_client())
    bob.register("bob")
    carol.register("carol")
    team = team_of(alice, bob, carol)
    big = to_channel(team, b"x" * (100 * 1024 + 1))
    assert (big.status_code, big.json["error"]) == (413, "too_large")
    fits = to_channel(team, b"x" * (90 * 1024))  # far over the 64 KiB of a JSON body
    assert fits.status_code == 201
    liar = client.post(
        f"/api/channels/{team.channel['id']}/files",
        data=b"tiny",
        headers={**alice.headers(), "Content-Type": "multipart/form-data; boundary=x"},
        environ_overrides={"CONTENT_LENGTH": str(2 * 1024**3)},
    )
    assert (liar.status_code, liar.json["error"]) == (413, "too_large")
    assert len(stored_files(app)) == 1  # the one that fit: no part of the others left behind


def test_a_path_in_the_name_reaches_no_path(team, app, tmp_path):
    for name in ("../../../../tmp/evil.sh", "..\\..\\windows\\evil.exe", "..", "a/b\tc\x7f.txt", "\u202egpj.exe"):
        file = to_channel(team, b"payload", name).json
        assert "/" not in file["name"] and "\\" not in file["name"] and file["name"] not in ("..", ".")
        assert "\t" not in file["name"] and "\x7f" not in file["name"] and "\u202e" not in file["name"]
    assert not (tmp_path.parent / "evil.sh").exists() and not Path("/tmp/evil.sh").exists()
    assert all(len(name) == 32 for name in stored_files(app))  # random keys, never the given names


def test_strangers_and_removed_members_get_404(team, new_client):
    file = to_channel(team, picture(), "plan.png").json
    send_with(team, [file["id"]])
    assert fetch(team.carol, file["url"]).status_code == 404
    assert fetch(team.carol, file["thumbnail_url"]).status_code == 404
    assert fetch(team.carol, f"/files/{file['id']}/other-name.png").status_code == 404
    assert to_channel(team, picture(), who=team.carol).status_code == 404
    assert fetch(team.bob, file["url"]).status_code == 200
    bob_id = team.bob.call("GET", "/api/me").json["id"]
    team.alice.call("DELETE", f"/api/workspaces/{team.workspace['id']}/members/{bob_id}")
    assert fetch(team.bob, file["url"]).status_code == 404
    assert fetch(team.bob, file["thumbnail_url"]).status_code == 404
    other, _ = new_client()
    assert other.get(file["url"]).status_code == 401  # no session at all


def test_a_bearer_token_reads_files_too(team):
    file = to_channel(team, picture(), "a.png").json
    send_with(team, [file["id"]])
    token = team.bob.create("/auth/tokens", {"name": "script"})["token"]
    anonymous = team.bob.client.application.test_client()
    assert anonymous.get(file["url"], headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_file_ids_must_be_the_authors_own_unsent_uploads_to_that_channel(team):
    mine = to_channel(team, picture(), "a.png").json
    bobs = to_channel(team, picture(), "b.png", who=team.bob).json
    other_channel = team.alice.create(f"/api/workspaces/{team.workspace['id']}/channels", {"name": "other"})
    elsewhere = upload(team.alice, f"/api/channels/{other_channel['id']}/files", picture(), "c.png").json
    for ids in ([bobs["id"]], [elsewhere["id"]], [999999], "1", [True], [], list(range(1, 12))):
        refused = send_with(team, ids)
        assert (refused.status_code, refused.json["fields"]) == (400, ["file_ids"]), ids
    assert send_with(team, [mine["id"]]).status_code == 201
    again = send_with(team, [mine["id"]])
    assert (again.status_code, again.json["fields"]) == (400, ["file_ids"])
    assert team.alice.call("POST", f"/api/channels/{team.channel['id']}/messages", {"body": ""}).status_code == 400


def test_deleting_the_message_or_card_deletes_its_files(team, app):
    file = to_channel(team, picture(), "a.png").json
    message = send_with(team, [file["id"]]).json
    card = team.alice.create(f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": "t"})
    card_file = upload(team.bob, f"/api/cards/{card['id']}/files", b"%PDF-1.4 notes", "notes.pdf")
    assert card_file.status_code == 201 and card_file.json["content_type"] == "application/octet-stream"
    board = team.alice.call("GET", f"/api/boards/{team.board['id']}").json
    [shown] = [c for column in board["columns"] for c in column["cards"] if c["id"] == card["id"]]
    assert shown["files"] == [card_file.json]
    assert fetch(team.alice, card_file.json["url"]).status_code == 200
    assert fetch(team.carol, card_file.json["url"]).status_code == 404
    assert len(stored_files(app)) == 3
    team.alice.call("DELETE", f"/api/messages/{message['id']}")
    assert fetch(team.alice, file["url"]).status_code == 404
    assert fetch(team.alice, file["thumbnail_url"]).status_code == 404
    team.alice.call("DELETE", f"/api/cards/{card['id']}", {"version": 1})
    assert fetch(team.alice, card_file.json["url"]).status_code == 404
    assert stored_files(app) == []


def test_prune_removes_uploads_never_sent_after_a_day(team, app):
    old = to_channel(team, picture(), "old.png").json
    fresh = to_channel(team, b"fresh", "fresh.txt").json
    sent = to_channel(team, b"sent", "sent.txt").json
    send_with(team, [sent["id"]])
    with app.app_context():
        for file_id in (old["id"], sent["id"]):
            db.session.get(File, file_id).created_at = utcnow() - timedelta(days=2)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    assert fetch(team.alice, old["url"]).status_code == 404
    assert fetch(team.alice, fresh["url"]).status_code == 200
    assert fetch(team.alice, sent["url"]).status_code == 200
    assert len(stored_files(app)) == 2
