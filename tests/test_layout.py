"""The package's shape: imports point down the layers and never go round in a circle."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = ("hearth", "blueprints", "app")
# realtime's core runs without Flask: the socket, hub, wire formats, broker and registry, driven by the service
FLASK_FREE = (
    "hearth.protocol",
    "hearth.realtime.connection",
    "hearth.realtime.hub",
    "hearth.realtime.wire",
    "hearth.realtime.broker",
    "hearth.realtime.registry",
    "hearth.realtime.announce",
)
# what the after-commit gateway may itself import: the domain reaches nothing of the sockets through it
ANNOUNCE_GATEWAY = {"hearth.realtime.announce", "hearth.realtime.wire"}
TOPIC_PREFIXES = ("chat:", "board:", "workspace:", "presence:")
TOPICS_MODULE = "hearth.workspaces.topics"
REQUEST_GLOBALS = {"request", "g", "session"}


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path):
    """The first-party modules and the third-party top-level names one file imports."""
    ours, theirs = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module.split(".")[0] in FIRST_PARTY:
                names = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] not in FIRST_PARTY:
                theirs.add(name.split(".")[0])
                continue
            while name not in MODULES and "." in name:  # `from hearth import workspace` or a name in a module
                name = name.rsplit(".", 1)[0]
            ours.add(name)
    return ours, theirs


FILES = [ROOT / "app.py", *sorted((ROOT / "hearth").rglob("*.py")), *sorted((ROOT / "blueprints").glob("*.py"))]
MODULES = {module_name(p) for p in FILES}
PATHS = {module_name(p): p for p in FILES}
GRAPH = {module_name(p): imports_of(p) for p in FILES}


def test_the_package_imports_no_view_and_not_the_app():
    upward = {
        (module, target)
        for module, (ours, _) in GRAPH.items()
        if module.startswith("hearth")
        for target in ours
        if target.startswith(("blueprints", "app"))
    }
    assert upward == set()


DOMAIN = (
    "hearth.models",
    "hearth.event_log",
    "hearth.validation",
    "hearth.errors",
    *sorted(m for m in MODULES if m.startswith("hearth.workspaces")),
)


def test_the_domain_knows_nothing_of_sockets_or_requests():
    assert {"hearth.workspaces.access", "hearth.workspaces.messages", TOPICS_MODULE} <= set(DOMAIN)
    leaks = {
        (module, target)
        for module in DOMAIN
        for target in GRAPH[module][0]
        if target.startswith(("hearth.realtime", "hearth.accounts.sessions", "blueprints"))
        # the one exception: the domain announces what it committed through the after-commit gateway,
        # which knows no socket, no service and no Flask (it only hands announcements to the broker)
        and target != "hearth.realtime.announce"
    }
    assert leaks == set()


def request_globals_of(path):
    """Flask's per-request globals a file reaches for: `from flask import request`, or `flask.g`."""
    used = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            used |= {a.name for a in node.names} & REQUEST_GLOBALS
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "flask":
            used |= {node.attr} & REQUEST_GLOBALS
    return used


def test_the_domain_reads_no_request_globals():
    """What the domain needs of a request it is handed as arguments, so a socket frame or the CLI can call it."""
    assert {m: request_globals_of(PATHS[m]) for m in DOMAIN if request_globals_of(PATHS[m])} == {}


def test_only_the_web_edge_reads_request_globals():
    """The request is read in blueprints/ (views, guards, hooks) and by the socket's upgrade; everything else
    under hearth/ is handed what it needs, so the socket, the CLI and a test can call it without a request."""
    assert {"request", "g"} <= request_globals_of(PATHS["blueprints.guards"])  # the check sees what it looks for
    package = sorted(m for m in MODULES if m.startswith("hearth") and m != "hearth.realtime.upgrade")
    assert {"hearth.logs", "hearth.accounts.carry", "hearth.metrics"} <= set(package)
    assert {m: request_globals_of(PATHS[m]) for m in package if request_globals_of(PATHS[m])} == {}


def topic_literals_of(path):
    """String constants and f-strings that begin like a topic: a topic spelled by hand."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            text = node.values[0].value
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if text.startswith(TOPIC_PREFIXES):
            found.add(text)
    return found


def test_topics_are_spelled_only_by_the_topics_module():
    spelled = {m: topic_literals_of(p) for m, p in PATHS.items() if m != TOPICS_MODULE}
    assert {m: found for m, found in spelled.items() if found} == {}
    assert topic_literals_of(PATHS[TOPICS_MODULE]) == set()  # even there, through Topic's one __str__


def test_the_announce_gateway_reaches_no_socket_code():
    ours = GRAPH["hearth.realtime.announce"][0] | GRAPH["hearth.realtime.wire"][0]
    assert {m for m in ours if m.startswith("hearth.realtime")} <= ANNOUNCE_GATEWAY


def test_the_realtime_core_runs_without_flask():
    assert {m for m in FLASK_FREE if "flask" in GRAPH[m][1] or "flask_sock" in GRAPH[m][1]} == set()


def test_no_import_cycles():
    cycles, state = [], {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(GRAPH[module][0] - {module}):
            if target not in GRAPH:
                continue
            if state.get(target) == "open":
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_one_top_level_name_for_the_apps_modules():
    top_level = {p.stem for p in ROOT.glob("*.py")}
    assert top_level == {"app", "gunicorn.conf"}
    assert sys.modules["hearth"].__file__.startswith(str(ROOT / "hearth"))
