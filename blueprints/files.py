"""`/files/<id>/<name>` and its thumbnail: an uploaded file, for whoever may read its channel or board now.

Cookie or Bearer token, like `/api`; anyone else gets 404. What the browser is told comes from the
bytes (hearth/workspaces/files.py): an image inline with its own type, anything else an attachment.
Every answer carries nosniff, `Cache-Control: private, no-cache` (revalidated: a removed member's next
look is a 404) and a sandbox CSP, so even a page opened from a file runs no script as this site.
"""

from flask import Blueprint, g, send_file

from blueprints.guards import authenticate, authenticate_token, bearer_header
from hearth.workspaces import files

bp = Blueprint("files", __name__, url_prefix="/files")


def reader():
    header = bearer_header()
    if header is not None:
        authenticate_token(header)
    else:
        authenticate()
    return g.user.id


def served(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/<int:file_id>/<name>")
def file(file_id, name):
    stored = files.readable_file(reader(), file_id)
    inline = stored.content_type != files.OCTET_STREAM
    response = send_file(
        files.path_of(stored),
        mimetype=stored.content_type,
        as_attachment=not inline,
        download_name=stored.name,
        conditional=True,
        etag=stored.storage_key,
        max_age=None,
    )
    return served(response)


@bp.get("/<int:file_id>/thumbnail/<name>")
def thumbnail(file_id, name):
    stored = files.readable_file(reader(), file_id)
    if not stored.has_thumbnail:
        return served(files_not_found())
    mimetype = "image/jpeg" if stored.content_type == "image/jpeg" else "image/png"
    response = send_file(
        files.path_of(stored, thumbnail=True), mimetype=mimetype, conditional=True, etag=f"{stored.storage_key}-t"
    )
    return served(response)


def files_not_found():
    from hearth.workspaces.access import not_found

    raise not_found("thumbnail")
