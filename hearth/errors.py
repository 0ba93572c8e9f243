"""Refusals raised below the views: what a rule said no to, and the HTTP-level ones the account guards raise.

How either is answered (status, JSON or a page, a socket's error frame) is the edge's business:
blueprints/errors.py for HTTP, hearth/realtime/frames.py for the socket.
"""


class DomainError(Exception):
    """A rule refused: `code` is what a client branches on (`invalid_input`, `forbidden`, `not_found`, `conflict`),
    `extra` the fields the answer carries besides the message (`fields`, `current`)."""

    def __init__(self, code, message, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


class ApiError(Exception):
    """An HTTP-level refusal with its own status (401, 413, 429…): a missing token, an ended session, a limit.

    Not a DomainError: catching what a rule refused never catches a signed-out request.
    """

    def __init__(self, status, code, message, headers=None, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra
