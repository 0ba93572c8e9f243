"""`/avatars/<user id>/<digest>.png`: a user's picture, for anyone signed in to the site (cookie or Bearer token).

The digest in the URL is the picture's own, so an answer never changes: browsers keep it
for a year (privately: it needs a signed-in request) and a new picture is a new URL.
"""

from flask import Blueprint, Response, abort

from blueprints.guards import authenticate, authenticate_token, bearer_header
from hearth.accounts.avatars import avatar_image

bp = Blueprint("avatars", __name__, url_prefix="/avatars")


@bp.get("/<int:user_id>/<string(length=32):digest>.png")
def avatar(user_id, digest):
    header = bearer_header()
    if header is not None:
        authenticate_token(header)
    else:
        authenticate()
    image = avatar_image(user_id, digest)
    if image is None:
        abort(404)
    response = Response(image, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
