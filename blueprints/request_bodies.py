"""Reading a request's body for the domain: the JSON object of an API call, or the form a browser posted."""

from flask import request

from hearth.errors import DomainError
from hearth.validation import parse_json


def json_body():
    """The JSON object of the request; anything else is `400 invalid_input`."""
    try:
        data = parse_json(request.get_data(cache=True))
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DomainError("invalid_input", "The body must be a JSON object.")
    return data


def form_or_json():
    """JSON for API clients, the form for browsers posting HTML forms."""
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.to_dict()
    return json_body()


def uploaded_file(field):
    """The bytes of a multipart upload's file field; `400 invalid_input` when it is missing."""
    upload = request.files.get(field) if request.mimetype == "multipart/form-data" else None
    if upload is None:
        raise DomainError("invalid_input", f"Send the picture as the multipart field `{field}`.", fields=[field])
    return upload.read()


def uploaded_stream(field):
    """(stream, name) of a multipart upload's file field, read from its spooled part; 400 when it is missing."""
    upload = request.files.get(field) if request.mimetype == "multipart/form-data" else None
    if upload is None:
        raise DomainError("invalid_input", f"Send the file as the multipart field `{field}`.", fields=[field])
    return upload.stream, upload.filename
