#!/usr/bin/env python3
"""The Mastodon test peer: mastodon-mock (PyPI) on a free loopback port, for Relais's tests.

Binds 127.0.0.1 (a port the system picks, or --port), keeps its database in memory and its
uploaded media in a temporary folder, and seeds two local accounts, `brand` and `fan`, each with
an access token that has the read, write, follow and push scopes. When it listens it prints one
line of JSON on stdout:

    {"instance": "http://127.0.0.1:PORT", "version": "0.6.1",
     "accounts": [{"username": "brand", "access_token": "..."}, {"username": "fan", ...}]}

It stops on SIGTERM, SIGINT or the end of its standard input (so that it ends with the process
that started it, however that one ends), and removes its media folder.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time

try:
    import uvicorn
    from mastodon_mock.__about__ import __version__
    from mastodon_mock.app import create_app
    from mastodon_mock.config import MastodonMockConfig, SeedAccount, SeedConfig
except ImportError as exc:  # pragma: no cover - what a missing install looks like
    here = os.path.dirname(os.path.abspath(__file__))
    sys.stderr.write(
        f"mastodon-mock is not installed for {sys.executable} ({exc}); "
        f"run: {sys.executable} -m pip install -r {os.path.join(here, 'requirements.txt')}\n"
    )
    sys.exit(3)

ACCOUNTS = (("brand", "Relais Brand"), ("fan", "A Fan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    parser.add_argument("--ignore-stdin", action="store_true", help="do not stop at the end of stdin")
    parser.add_argument("--log-level", default="warning", help="uvicorn's log level")
    args = parser.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    port = sock.getsockname()[1]
    media = tempfile.mkdtemp(prefix="relais-mastodon-media-")

    accounts = [(name, display, secrets.token_urlsafe(32)) for name, display in ACCOUNTS]
    config = MastodonMockConfig(
        domain=f"127.0.0.1:{port}",
        url_scheme="http",
        media_storage_path=media,
        seed=SeedConfig(
            accounts=[
                SeedAccount(username=name, display_name=display, access_token=token)
                for name, display, token in accounts
            ]
        ),
    )
    config.database.path = ":memory:"
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            log_level=args.log_level,
            server_header=False,
            lifespan="on",
        )
    )

    def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.02)
        ready = {
            "instance": f"http://127.0.0.1:{port}",
            "version": __version__,
            "accounts": [{"username": n, "access_token": t} for n, _, t in accounts],
        }
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()

    def watch_stdin() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except OSError:
            pass
        server.should_exit = True
        # A request held open by a fault (effect "timeout") would delay a clean stop.
        time.sleep(2)
        shutil.rmtree(media, ignore_errors=True)
        os._exit(0)

    threading.Thread(target=announce, daemon=True).start()
    if not args.ignore_stdin:
        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
