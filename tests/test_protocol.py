"""hearth/protocol.py and static/js/protocol.js are one contract: changing either side alone fails here."""

import json
import pathlib
import subprocess

from hearth import protocol

ROOT = pathlib.Path(__file__).resolve().parent.parent
IMPORT_JS = 'import * as p from "./static/js/protocol.js"; console.log(JSON.stringify(p));'


def python_constants():
    """Every upper-case name in hearth.protocol, tuples as lists (what JSON gives back)."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in vars(protocol).items()
        if name.isupper()
    }


def js_constants():
    """Every export of protocol.js as node sees it; the close codes grouped under CLOSE are flattened."""
    done = subprocess.run(
        ["node", "--input-type=module", "-e", IMPORT_JS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    exports = json.loads(done.stdout)
    close_codes = exports.pop("CLOSE")
    clashes = close_codes.keys() & exports.keys()
    assert not clashes, f"protocol.js exports {sorted(clashes)} both inside CLOSE and beside it"
    return exports | close_codes


def test_every_wire_constant_has_an_equal_twin_on_the_other_side():
    server, client = python_constants(), js_constants()
    only_python, only_js = sorted(server.keys() - client.keys()), sorted(client.keys() - server.keys())
    assert not (only_python or only_js), f"only in protocol.py: {only_python}; only in protocol.js: {only_js}"
    different = {name: (server[name], client[name]) for name in server if server[name] != client[name]}
    assert not different, f"hearth/protocol.py and static/js/protocol.js disagree (python, js): {different}"


def test_the_comparison_sees_the_constants_the_client_uses():
    """Guards against a comparison of two empty sets: the close codes and page sizes are really read."""
    client = js_constants()
    assert client["REVOKED"] == protocol.REVOKED == 4403
    assert client["HISTORY_DEFAULT"] == protocol.HISTORY_DEFAULT
    assert "event" in client["SERVER_FRAMES"]
