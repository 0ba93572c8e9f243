"""Avatars: an uploaded picture checked by its bytes, redrawn as a small PNG with nothing else carried over.

The upload is decoded by Pillow, and only PNG, JPEG, GIF and WebP are read (415
otherwise: an HTML page or an SVG named `.png` is refused whatever its name or
type says). The header's size is checked before any pixel is decoded, so a small
file that would unpack into gigabytes (a decompression bomb) is refused cheaply.
What is stored is a new image, a centre square of at most 256 px drawn from the
decoded pixels (EXIF orientation applied): no EXIF, GPS position, comment or
colour profile of the upload survives. Decoding runs off the gevent loop, in its
thread pool, like password hashing.

Avatars are served to signed-in users at `/avatars/<user id>/<digest>.png`: the
URL changes with the picture, so browsers keep each one for good.
"""

import hashlib
import io

from PIL import Image, ImageOps, UnidentifiedImageError

from hearth.accounts.passwords import off_the_loop
from hearth.accounts.sessions import session_cache
from hearth.errors import ApiError
from hearth.extensions import db
from hearth.models import Avatar, User, utcnow

SIDE = 256
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is fine; a bomb declares far more
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard, for any other image read in this process


def unsupported():
    return ApiError(415, "unsupported_media", "An avatar must be a PNG, JPEG, GIF or WebP image.")


def redraw(data):
    """The avatar as stored: PNG bytes of a square of at most SIDE px, from the upload's pixels alone."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                raise unsupported()  # Pillow only warns up to twice its limit: refused here before decoding
            image.seek(0)  # an animation's first frame
            image.load()
            pixels = ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise unsupported() from None
    except (OSError, ValueError, SyntaxError, EOFError):  # a truncated or malformed file of a known type
        raise unsupported() from None
    square = ImageOps.fit(pixels, (min(SIDE, *pixels.size),) * 2, method=Image.Resampling.LANCZOS)
    clean = Image.new("RGBA", square.size)  # a fresh image: no `info` (EXIF, text chunks, ICC) to carry over
    clean.paste(square)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def set_avatar(user_id, data):
    """Store a new avatar for the user (415 for anything but a readable image); returns its digest."""
    if not data:
        raise unsupported()
    png = off_the_loop(redraw, data)
    digest = hashlib.sha256(png).hexdigest()[:32]
    avatar = db.session.get(Avatar, user_id) or Avatar(user_id=user_id)
    avatar.digest, avatar.image, avatar.updated_at = digest, png, utcnow()
    db.session.add(avatar)
    db.session.get(User, user_id).avatar_digest = digest
    db.session.commit()
    session_cache().forget_user(user_id)
    return digest


def remove_avatar(user_id):
    """Back to initials."""
    db.session.query(Avatar).filter(Avatar.user_id == user_id).delete()
    db.session.get(User, user_id).avatar_digest = None
    db.session.commit()
    session_cache().forget_user(user_id)


def avatar_image(user_id, digest):
    """The PNG bytes when `digest` is the user's current avatar, else None."""
    avatar = db.session.get(Avatar, user_id)
    return avatar.image if avatar is not None and avatar.digest == digest else None
