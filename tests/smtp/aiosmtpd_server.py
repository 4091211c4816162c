"""A real SMTP server for the tests: aiosmtpd (pinned in
scripts/requirements-smtp.txt), with STARTTLS and AUTH LOGIN/PLAIN.

Usage: python aiosmtpd_server.py --log FILE --cert CERT --key KEY
           [--user NAME --password SECRET] [--require-starttls]

Prints "PORT <n>" once it listens on 127.0.0.1. Appends one JSON line to
FILE per event: {"event": "mail", "from", "to", "data", "tls", "auth_user"}
for each accepted message, {"event": "auth_failed", "user"} for each
refused login. Stops on SIGTERM or when its standard input closes.
"""

import argparse
import json
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def write(self, record):
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


class Handler:
    def __init__(self, recorder):
        self.recorder = recorder

    async def handle_DATA(self, server, session, envelope):
        user = session.auth_data if session.authenticated else None
        self.recorder.write(
            {
                "event": "mail",
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", "replace"),
                "tls": session.ssl is not None,
                "auth_user": user,
            }
        )
        return "250 OK"


class Authenticator:
    def __init__(self, user, password, recorder):
        self.user = user
        self.password = password
        self.recorder = recorder

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if login == self.user and password == self.password:
            return AuthResult(success=True, auth_data=login)
        self.recorder.write({"event": "auth_failed", "user": login})
        return AuthResult(success=False, handled=False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--require-starttls", action="store_true")
    args = p.parse_args()

    recorder = Recorder(args.log)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    auth = args.user is not None
    kwargs = {}
    if auth:
        kwargs["authenticator"] = Authenticator(args.user, args.password, recorder)
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = True
    port = free_port()
    controller = Controller(
        Handler(recorder),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=args.require_starttls,
        **kwargs,
    )
    controller.start()
    print(f"PORT {port}", flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
