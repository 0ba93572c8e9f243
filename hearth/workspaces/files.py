"""Uploaded files on messages and cards: stored under HEARTH_FILE_DIR, typed by their bytes, read by readers only.

An upload is copied to disk a chunk at a time (never held whole in memory) under a random
`storage_key`; the name the client gave is kept only to show and to name a download, so no name
reaches a path. Its type is decided from the first bytes and confirmed by decoding: a PNG, JPEG,
GIF or WebP image that Pillow reads within MAX_PIXELS is served inline with its type and gets a
thumbnail; anything else (HTML, SVG, a bomb, a broken image) is `application/octet-stream`,
served as an attachment in a sandbox. The thumbnail is drawn from the pixels alone (EXIF
orientation applied, no metadata kept), in gevent's thread pool like avatars are.

A channel's upload is its uploader's alone until a message of theirs names it in `file_ids`;
then whoever may read the channel may read it. A card's file belongs to the card at once. A
message or card deleted takes its files along; `flask prune` removes uploads never attached
after a day, and stored files whose row has gone (a channel, board or workspace deleted).
"""

import os
import secrets
import time
import unicodedata
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from hearth.accounts.avatars import MAX_PIXELS
from hearth.accounts.passwords import off_the_loop
from hearth.errors import ApiError, DomainError
from hearth.event_log import append_event, claim_seq, commit_and_announce
from hearth.extensions import db
from hearth.models import Board, Card, File, utcnow
from hearth.workspaces import topics
from hearth.workspaces.access import board_for, card_for, channel_for, not_found

CHUNK = 64 * 1024
THUMBNAIL_SIDE = 400
FILES_PER_MESSAGE = 10
NAME_MAX = 200
UNATTACHED_FOR = timedelta(days=1)
OCTET_STREAM = "application/octet-stream"
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def file_dir():
    return Path(current_app.config["FILE_DIR"])


def path_of(file, thumbnail=False):
    return file_dir() / (file.storage_key + (".thumb" if thumbnail else ""))


def too_large(limit):
    return ApiError(413, "too_large", f"A file may be at most {limit // (1024 * 1024)} MiB.")


def clean_name(name):
    """The name to show: its last path part, no control or format characters, at most NAME_MAX characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ").strip()
    if name in ("", ".", ".."):
        return "file"
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: NAME_MAX - len(extension) - 1] + dot + extension) if dot and len(extension) < 16 else name
        name = name[:NAME_MAX]
    return name


def sniffed_type(head):
    """The image type the first bytes announce, or None (the client's word is never asked)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def draw_thumbnail(source, target, kind):
    """Write a thumbnail of at most THUMBNAIL_SIDE px from the image's pixels; False when it is no readable image."""
    try:
        with Image.open(source, formats=(kind,)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                return False  # a bomb declares far more pixels than it holds: refused before decoding
            image.seek(0)
            if kind == "JPEG":
                image.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
            image.load()
            upright = ImageOps.exif_transpose(image)
            mode = "RGB" if kind == "JPEG" else "RGBA"
            upright = upright.convert(mode)
            upright.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
            clean = Image.new(mode, upright.size)  # no `info`: EXIF, GPS, comments and profiles stay behind
            clean.paste(upright)
            clean.save(target, format="JPEG" if kind == "JPEG" else "PNG", quality=85, optimize=True)
            return True
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return False
    except (OSError, ValueError, SyntaxError, EOFError):  # truncated or malformed
        return False


def _store(stream, name, limit, **owner):
    """Copy the upload to disk, decide its type, draw its thumbnail; the File row, added but not committed."""
    directory = file_dir()
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    target = directory / key
    partial = directory / f"{key}.part"
    size, head = 0, b""
    try:
        with open(partial, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                if len(head) < 16:
                    head += chunk[:16]
                out.write(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    kind = sniffed_type(head)
    thumbnail = bool(kind) and off_the_loop(draw_thumbnail, target, Path(f"{target}.thumb"), kind)
    file = File(
        name=clean_name(name),
        size=size,
        content_type=IMAGE_TYPES[kind] if thumbnail else OCTET_STREAM,
        storage_key=key,
        has_thumbnail=thumbnail,
        **owner,
    )
    db.session.add(file)
    return file


def upload_to_channel(user_id, channel_id, upload, limit):
    """An upload to a channel the user may read: theirs alone until a message names it. `upload()` gives
    (stream, name), read after the 404 so that a stranger's body is never stored."""
    channel = channel_for(user_id, channel_id)
    stream, name = upload()
    file = _store(stream, name, limit, uploader_id=user_id, channel_id=channel.id)
    db.session.commit()
    return file


def upload_to_card(user_id, card_id, upload, limit):
    """A file on a card of a board the user may read, the card's at once: the board hears `card.updated`."""
    card = card_for(user_id, card_id)
    board_for(user_id, card.board_id)
    stream, name = upload()
    file = _store(stream, name, limit, uploader_id=user_id, card_id=card.id)
    db.session.flush()
    seq = claim_seq(Board, card.board_id)
    db.session.refresh(card)
    db.session.expire(card, ["files"])
    commit_and_announce(append_event(topics.board(card.board_id), seq, "card.updated", card.to_dict()))
    return file


def file_ids(value):
    """A checker for `file_ids`: 1–FILES_PER_MESSAGE distinct ids."""
    if not isinstance(value, list) or not 1 <= len(value) <= FILES_PER_MESSAGE:
        return None, f"must be a list of 1–{FILES_PER_MESSAGE} file ids"
    if any(isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**31 for v in value):
        return None, "must be file ids"
    return sorted(set(value)), None


def attach(user_id, channel_id, message, ids):
    """Give the message these uploads: its author's own, to this channel, not yet attached (400 otherwise).

    One conditional UPDATE: of two messages racing for one upload, only one gets it.
    """
    if not ids:
        return
    attached = db.session.execute(
        sa.update(File)
        .where(
            File.id.in_(ids),
            File.uploader_id == user_id,
            File.channel_id == channel_id,
            File.message_id.is_(None),
            File.card_id.is_(None),
        )
        .values(message_id=message.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if attached != len(ids):
        db.session.rollback()
        raise DomainError(
            "invalid_input", "file_ids must be your own uploads to this channel, not yet sent.", fields=["file_ids"]
        )
    db.session.expire(message, ["files"])


def detach_all(files):
    """Delete these file rows (in the caller's transaction); returns what to unlink once it commits."""
    keys = [file.storage_key for file in files]
    for file in files:
        db.session.delete(file)
    return keys


def unlink(keys):
    """Remove stored files (and their thumbnails) after the transaction that deleted their rows committed."""
    directory = file_dir()
    for key in keys:
        for suffix in ("", ".thumb"):
            (directory / f"{key}{suffix}").unlink(missing_ok=True)


def readable_file(user_id, file_id):
    """The file when the user may read it now, else `not_found` (never a 403: nothing confirms it exists)."""
    file = db.session.get(File, file_id)
    if file is None:
        raise not_found("file")
    if file.card_id is not None:
        card = db.session.get(Card, file.card_id)
        board_for(user_id, card.board_id)
    elif file.channel_id is not None:
        channel_for(user_id, file.channel_id)
        if file.message_id is None and file.uploader_id != user_id:
            raise not_found("file")
    else:
        raise not_found("file")
    return file


def prune_files(now=None):
    """Delete uploads never attached for UNATTACHED_FOR, and stored files without a row; returns how many."""
    now = now or utcnow()
    stale = db.session.scalars(
        sa.select(File).where(File.message_id.is_(None), File.card_id.is_(None), File.created_at < now - UNATTACHED_FOR)
    ).all()
    keys = detach_all(stale)
    db.session.commit()
    unlink(keys)
    removed = len(keys)
    directory = file_dir()
    if directory.is_dir():
        known = set(db.session.scalars(sa.select(File.storage_key)))
        cutoff = time.time() - UNATTACHED_FOR.total_seconds()
        for entry in directory.iterdir():
            key = entry.name.split(".", 1)[0]
            if key not in known and entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
                removed += not entry.name.endswith((".thumb", ".part"))
    return removed
