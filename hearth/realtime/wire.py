"""What goes over the wire: the WebSocket frames the server writes.

A frame is built once and the same bytes go to every subscriber (`text_frame`).
"""

import struct

from hearth.protocol import dumps


def text_frame(payload):
    """A complete unmasked WebSocket text frame, built once and written to many sockets."""
    data = payload.encode() if isinstance(payload, str) else payload
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + data


def event_frame(topic, seq, kind, data_json):
    """The event frame as JSON text; `data_json` is already serialized (once, when stored)."""
    return f'{{"type":"event","topic":{dumps(topic)},"seq":{seq},"event":{dumps(kind)},"data":{data_json}}}'
