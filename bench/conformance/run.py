"""Autobahn|Testsuite's fuzzing client against Hearth's /ws and a bare flask-sock echo peer, side by side.

    .venv/bin/python bench/conformance/run.py [--cases '1.*' '3.*' ...] [--wstest 'CMD ...'] [--keep DIR]

Both servers run under gunicorn's gevent worker (Hearth as `make run` serves it, one worker, SQLite;
the peer is bench/conformance/echo_app.py). The fuzzing client reaches each through a loopback proxy that
adds what a browser would send on the upgrade (Hearth's access cookie and the page's Origin) and
passes everything else through unchanged, half-closes and resets included. The per-group table of
results goes into docs/conformance.md between its `results` markers.

wstest runs on Python 2.7 only. bench/conformance/install-wstest.sh installs it with pyenv's 2.7 when the
machine has one; this script finds it through --wstest, $WSTEST, `wstest` on PATH, or that install.
It is a tool, not part of `make test`.
"""

import argparse
import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "conformance.md"
INSTALLED = Path(os.environ.get("WSTEST_HOME", ROOT / ".wstest"))  # where install-wstest.sh puts it
SECRET = "conformance-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123"
AGENTS = {"hearth": "Hearth", "peer": "flask-sock echo"}
BEHAVIOURS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
# permessage-deflate is declined on purpose (README, "No permessage-deflate"): every case of 12 and 13
# would only show that the offer was refused
EXCLUDED = ["12.*", "13.*"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One app under gunicorn's gevent worker on a loopback port."""

    def __init__(self, module, workdir, env, cwd=ROOT):
        """Run from `cwd`: gunicorn reads the gunicorn.conf.py it finds there (Hearth's, or none for the peer)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(workdir) / f"{module.split(':')[0]}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gevent", "-b", f"127.0.0.1:{self.port}", module],
            cwd=cwd,
            env={**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1", "WEB_CONCURRENCY": "1"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{module} exited; see {self.log.name}")
            try:
                if requests.get(self.url + "/healthz", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{module} did not start; see {self.log.name}")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def start_hearth(workdir):
    env = {
        "HEARTH_ENV": "production",
        "HEARTH_SECRET_KEY": SECRET,
        "HEARTH_SECURE_COOKIES": "false",
        "HEARTH_ACCESS_TTL": "7200",  # one cookie lasts the whole run
        "HEARTH_MAX_SOCKETS_PER_USER": "1000",
        "HEARTH_PASSWORD_HASH_PROFILE": "CHEAPEST",
        "DATABASE_URL": f"sqlite:///{workdir}/conformance.db",
    }
    for old in Path(workdir).glob("conformance.db*"):  # a kept folder's database of an earlier run
        old.unlink()
    migrated = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if migrated.returncode:
        raise RuntimeError(f"flask db upgrade failed:\n{migrated.stdout}{migrated.stderr}")
    server = Server("app:app", workdir, env)
    person = requests.Session()
    answer = person.post(server.url + "/auth/register", json={"username": "autobahn", "password": "conformance-pass-1"})
    answer.raise_for_status()
    return server, f"access_token_cookie={person.cookies['access_token_cookie']}"


class UpgradeProxy:
    """Loopback TCP proxy: the upgrade request gets a Cookie and an Origin; all else passes through as is."""

    def __init__(self, upstream_port, cookie=None):
        self.upstream_port, self.cookie = upstream_port, cookie
        self.port = free_port()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready):
        async def main():
            server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
            ready.set()
            async with server:
                await server.serve_forever()

        asyncio.run(main())

    async def _handle(self, client_reader, client_writer):
        try:
            head = await client_reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")[:-2]
        host = next((l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("host:")), "")
        kept = [l for l in lines[1:] if not l.lower().startswith(("origin:", "cookie:"))]
        added = [f"Origin: http://{host}"] + ([f"Cookie: {self.cookie}"] if self.cookie else [])
        request = "\r\n".join([lines[0], *kept, *added, "", ""]).encode("latin-1")
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        upstream_writer.write(request)
        try:
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer, client_writer),
                self._pipe(upstream_reader, client_writer, upstream_writer),
            )
        finally:
            client_writer.close()
            upstream_writer.close()

    @staticmethod
    async def _pipe(reader, writer, back):
        """Copy one direction; a FIN is passed on as a FIN, a reset as a reset (of the other side)."""
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except ConnectionResetError:
            reset(writer)
            back.transport.abort()
        except (ConnectionError, OSError, RuntimeError):
            writer.transport.abort()


def reset(writer):
    """Close with a reset, not a FIN: linger on with a zero timeout makes the kernel send RST and drop what is
    unsent. A server's reset that reached the fuzzing client as a FIN would hide a Close it lost to that reset."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass  # already closed: nothing left to reset
    writer.transport.abort()


def find_wstest(given):
    if given:
        return shlex.split(given)
    if os.environ.get("WSTEST"):
        return shlex.split(os.environ["WSTEST"])
    if shutil.which("wstest"):
        return [shutil.which("wstest")]
    script = INSTALLED / "bin" / "wstest"
    python = INSTALLED / "python"
    if script.exists() and python.exists():
        return ["env", f"PYTHONUSERBASE={INSTALLED}", str(python.resolve()), str(script)]
    sys.exit(
        "wstest (Autobahn|Testsuite) was not found. It runs on Python 2.7 only: install it with "
        "bench/conformance/install-wstest.sh (needs pyenv's 2.7), or pass --wstest 'CMD'."
    )


def run_wstest(wstest, servers, cases, workdir):
    outdir = Path(workdir) / "reports"
    spec = {
        "outdir": str(outdir),
        "servers": [{"agent": AGENTS[kind], "url": f"ws://127.0.0.1:{port}/ws"} for kind, port in servers.items()],
        "cases": cases,
        "exclude-cases": EXCLUDED,
        "exclude-agent-cases": {},
    }
    spec_file = Path(workdir) / "fuzzingclient.json"
    spec_file.write_text(json.dumps(spec, indent=2))
    with open(Path(workdir) / "wstest.log", "w") as log:
        subprocess.run(
            [*wstest, "-m", "fuzzingclient", "-s", str(spec_file)],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return json.loads((outdir / "index.json").read_text())


def group_of(case_id):
    """Autobahn's sections: "6.4" for 6.4.2, "2" for 2.10."""
    parts = case_id.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


def case_key(case_id):
    return [int(part) for part in case_id.split(".")]


def outcome(result):
    """Autobahn's verdict on the case and on its closing handshake."""
    return f"{result['behavior']}/{result['behaviorClose']}" if result else "not run"


def counts(results):
    found = Counter(r["behavior"] for r in results)
    return ", ".join(f"{found[b]} {b}" for b in BEHAVIOURS if found[b]) or "—"


def table(index):
    hearth, peer = index[AGENTS["hearth"]], index[AGENTS["peer"]]
    groups = {}
    for case_id in sorted(hearth, key=case_key):
        groups.setdefault(group_of(case_id), []).append(case_id)
    rows = [
        "| Group | Cases | Hearth | flask-sock echo | Cases that differ (Hearth / peer, behaviour and close) |",
        "|---|---|---|---|---|",
    ]
    for group, ids in groups.items():
        differ = [
            f"{c} {outcome(hearth[c])} vs {outcome(peer[c])}" for c in ids if outcome(hearth[c]) != outcome(peer.get(c))
        ]
        shown = "; ".join(differ[:6]) + (f"; and {len(differ) - 6} more" if len(differ) > 6 else "")
        hearth_counts, peer_counts = counts([hearth[c] for c in ids]), counts([peer[c] for c in ids if c in peer])
        rows.append(f"| {group} | {len(ids)} | {hearth_counts} | {peer_counts} | {shown or 'none'} |")
    return "\n".join(rows)


def write_doc(doc, index, cases, wstest_version):
    text = doc.read_text()
    block = (
        "<!-- results: written by bench/conformance/run.py -->\n"
        f"Run of {time.strftime('%Y-%m-%d', time.gmtime())}, cases {' '.join(cases)} "
        f"(excluding {' '.join(EXCLUDED)}), {wstest_version}.\n\n{table(index)}\n"
        "<!-- /results -->"
    )
    text = re.sub(r"<!-- results.*?<!-- /results -->", lambda _: block, text, flags=re.S)
    doc.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["*"], help="Autobahn case patterns (default: all)")
    parser.add_argument("--wstest", help="the command that runs wstest")
    parser.add_argument("--keep", help="keep logs and Autobahn's HTML reports in this folder")
    parser.add_argument("--doc", type=Path, default=DOC, help="the file whose results block is rewritten")
    args = parser.parse_args()
    wstest = find_wstest(args.wstest)
    version = subprocess.run([*wstest, "--autobahnversion"], capture_output=True, text=True).stdout.strip().splitlines()
    workdir = args.keep or tempfile.mkdtemp(prefix="hearth-conformance-")
    Path(workdir).mkdir(parents=True, exist_ok=True)
    hearth, cookie = start_hearth(workdir)
    peer = Server("echo_app:app", workdir, {}, cwd=ROOT / "bench" / "conformance")
    try:
        proxies = {"hearth": UpgradeProxy(hearth.port, cookie), "peer": UpgradeProxy(peer.port)}
        started = time.monotonic()
        index = run_wstest(wstest, {kind: proxy.port for kind, proxy in proxies.items()}, args.cases, workdir)
        print(f"wstest ran {time.monotonic() - started:.0f} s; reports in {workdir}/reports")
    finally:
        hearth.stop()
        peer.stop()
    write_doc(args.doc, index, args.cases, "; ".join(l.strip() for l in version if l.strip()) or "wstest")
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
