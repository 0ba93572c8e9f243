"""Avatars: `PUT /api/me/avatar` and `DELETE /api/me/avatar`, the picture served, and the uploads an attacker tries.

What is stored is redrawn from the decoded pixels: whatever the upload claims or carries (a page, a script, a GPS
position, a header promising billions of pixels) either is refused or does not survive."""

import io
import struct
import zlib

import pytest
from PIL import Image

TAG_GPS_IFD, TAG_GPS_LATITUDE_REF, TAG_GPS_LATITUDE = 0x8825, 1, 2


def picture(size=(600, 400), kind="PNG", colour=(200, 60, 20), **save):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=kind, **save)
    return out.getvalue()


def upload(auth, data, name="me.png", content_type="image/png", field="file"):
    return auth.client.put(
        "/api/me/avatar",
        data={field: (io.BytesIO(data), name, content_type)},
        headers=auth.headers(),
        content_type="multipart/form-data",
    )


def png_bomb(width, height):
    """A real 1-bit PNG of width × height, all zeros: a few KiB that would unpack into width × height pixels."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "WEBP"])
def test_each_image_type_becomes_a_png_square_of_at_most_256(client, auth, kind):
    auth.register("alice")
    answer = upload(auth, picture(kind=kind), name=f"me.{kind.lower()}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    url = answer.json["avatar_url"]
    assert url.startswith(f"/avatars/{answer.json['id']}/") and url.endswith(".png")
    served = client.get(url)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in served.headers["Cache-Control"] and "immutable" in served.headers["Cache-Control"]
    image = Image.open(io.BytesIO(served.data))
    assert (image.format, image.size) == ("PNG", (256, 256))
    assert client.get("/api/me").json["avatar_url"] == url


def test_a_small_picture_stays_small_and_a_new_one_gets_a_new_url(client, auth):
    auth.register("alice")
    first = upload(auth, picture((40, 90))).json["avatar_url"]
    assert Image.open(io.BytesIO(client.get(first).data)).size == (40, 40)
    second = upload(auth, picture((300, 300), colour=(0, 90, 200))).json["avatar_url"]
    assert second != first
    assert client.get(first).status_code == 404  # the old picture is gone
    assert client.get(second).status_code == 200


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (b"<!doctype html><script>alert(document.cookie)</script>", "me.png", "image/png"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="5"/></svg>',
            "me.svg",
            "image/svg+xml",
        ),
        (b"GIF89a<script>alert(1)</script>", "me.gif", "image/gif"),
        (b"", "empty.png", "image/png"),
        (b"%PDF-1.4 not a picture", "me.png", "image/png"),
    ],
    ids=["html named png", "svg", "gif header then script", "empty", "pdf"],
)
def test_anything_but_a_readable_picture_is_415(client, auth, data, name, content_type):
    auth.register("alice")
    answer = upload(auth, data, name, content_type)
    assert (answer.status_code, answer.json["error"]) == (415, "unsupported_media")
    assert client.get("/api/me").json["avatar_url"] is None


def test_other_image_types_are_415_too(client, auth):
    auth.register("alice")
    for kind in ("BMP", "TIFF", "ICO"):
        answer = upload(auth, picture((64, 64), kind=kind), name=f"me.{kind.lower()}")
        assert (answer.status_code, answer.json["error"]) == (415, "unsupported_media"), kind


def test_a_truncated_picture_is_415(auth):
    auth.register("alice")
    answer = upload(auth, picture(kind="JPEG")[:300])
    assert (answer.status_code, answer.json["error"]) == (415, "unsupported_media")


def test_a_png_with_an_exif_gps_position_comes_out_without_it(client, auth):
    auth.register("alice")
    exif = Image.Exif()
    exif[0x010E] = "taken at home"
    gps = exif.get_ifd(TAG_GPS_IFD)
    gps[TAG_GPS_LATITUDE_REF], gps[TAG_GPS_LATITUDE] = "N", (51.0, 30.0, 26.0)
    data = picture(kind="PNG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(TAG_GPS_IFD)  # the upload does carry a position
    served = client.get(upload(auth, data).json["avatar_url"]).data
    image = Image.open(io.BytesIO(served))
    assert not image.getexif() and not image.getexif().get_ifd(TAG_GPS_IFD)
    assert b"eXIf" not in served and b"Exif" not in served and b"taken at home" not in served
    assert set(image.info) <= {"dpi"}  # no text chunks, no colour profile carried over


def test_a_jpeg_with_exif_and_a_comment_comes_out_without_them(client, auth):
    auth.register("alice")
    exif = Image.Exif()
    exif.get_ifd(TAG_GPS_IFD)[TAG_GPS_LATITUDE_REF] = "S"
    data = picture(kind="JPEG", exif=exif.tobytes(), comment=b"secret comment")
    served = client.get(upload(auth, data, "me.jpg", "image/jpeg").json["avatar_url"]).data
    assert b"secret comment" not in served and not Image.open(io.BytesIO(served)).getexif()


@pytest.mark.parametrize("size", [(20_000, 20_000), (8_000, 7_000)], ids=["far over the limit", "just over"])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, auth, size):
    auth.register("alice")
    bomb = png_bomb(*size)
    assert len(bomb) < 200_000  # small on the wire
    answer = upload(auth, bomb)
    assert (answer.status_code, answer.json["error"]) == (415, "unsupported_media")
    assert client.get("/api/me").json["avatar_url"] is None


def test_an_upload_over_the_limit_is_413(make_app):
    app = make_app(MAX_UPLOAD=100_000)
    client = app.test_client()
    from support import Auth

    auth = Auth(client)
    auth.register("alice")
    answer = upload(auth, b"\x89PNG" + b"\x00" * 150_000)
    assert (answer.status_code, answer.json["error"]) == (413, "too_large")
    assert upload(auth, picture((50, 50))).status_code == 200  # the limit is the upload's, not 64 KiB


def test_an_avatar_beyond_64_kib_is_accepted(client, auth):
    auth.register("alice")
    noisy = Image.effect_noise((900, 900), 90).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    assert len(out.getvalue()) > 64 * 1024
    assert upload(auth, out.getvalue()).status_code == 200


def test_a_missing_file_field_is_invalid_input(auth):
    auth.register("alice")
    answer = upload(auth, picture(), field="picture")
    assert (answer.status_code, answer.json["error"]) == (400, "invalid_input")
    json_body = auth.call("PUT", "/api/me/avatar", {"file": "data:image/png;base64,AAAA"})
    assert (json_body.status_code, json_body.json["error"]) == (400, "invalid_input")


def test_delete_goes_back_to_initials(client, auth):
    auth.register("alice")
    url = upload(auth, picture()).json["avatar_url"]
    assert auth.call("DELETE", "/api/me/avatar").status_code == 204
    assert client.get("/api/me").json["avatar_url"] is None
    assert client.get(url).status_code == 404
    assert auth.call("DELETE", "/api/me/avatar").status_code == 204  # again: nothing to remove, still done


def test_avatars_are_for_signed_in_users_only(client, auth, new_client):
    auth.register("alice")
    url = upload(auth, picture()).json["avatar_url"]
    stranger, _ = new_client()
    assert stranger.get(url).status_code == 401
    other, bob = new_client()
    bob.register("bob")
    assert other.get(url).status_code == 200  # anyone signed in to the site


def test_uploading_needs_csrf(client, auth):
    auth.register("alice")
    forged = client.put(
        "/api/me/avatar", data={"file": (io.BytesIO(picture()), "me.png")}, content_type="multipart/form-data"
    )
    assert (forged.status_code, forged.json["error"]) == (403, "csrf_failed")
    assert client.delete("/api/me/avatar").status_code == 403


def test_user_objects_everywhere_carry_the_avatar_url(client, team):
    url = upload(team.alice, picture()).json["avatar_url"]
    members = team.bob.call("GET", f"/api/workspaces/{team.workspace['id']}/members").json
    assert {m["username"]: m["avatar_url"] for m in members} == {"alice": url, "bob": None}
    message = team.alice.create(f"/api/channels/{team.channel['id']}/messages", {"body": "hi", "client_id": "a1"})
    assert message["author"]["avatar_url"] == url
