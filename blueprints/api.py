"""`/api`: the JSON API. Views parse, call the domain, and answer."""

from flask import Blueprint, g, jsonify

from guards import auth_required

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/me")
@auth_required
def me():
    return jsonify(g.user.to_dict())
