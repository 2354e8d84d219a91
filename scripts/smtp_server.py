#!/usr/bin/env python3
"""A loopback SMTP server for invite-lettre's tests and benchmark.

Saves every accepted message as a file in MAILBOX (one file per recipient and message, named
after the recipient so parallel tests never read each other's mail) and answers 451 for
recipients whose local part starts with "busy", 550 for "reject" and 421 (service shutting
down) for "shutdown".

    python3 scripts/smtp_server.py --port 2525 --mailbox /tmp/mailbox

With --tls implicit|starttls and --tls-cert/--tls-key (PEM) it speaks TLS from the first
byte, or offers STARTTLS.

With --auth USER:PASSWORD the server requires AUTH (PLAIN or LOGIN, allowed without TLS since
it listens on loopback) with exactly these credentials: 535 for others, 530 to MAIL FROM
before AUTH.
"""
import argparse
import asyncio
import itertools
import os
import re
import signal
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

_counter = itertools.count()


def _safe(address):
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", address.lower())


class SavingHandler:
    def __init__(self, mailbox):
        self.mailbox = mailbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("busy"):
            return "451 4.2.0 Mailbox busy, try again later"
        if local.startswith("reject"):
            return "550 5.1.1 No such user here"
        if local.startswith("shutdown"):
            return "421 4.3.2 Service shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        n = next(_counter)
        for rcpt in envelope.rcpt_tos:
            name = f"{_safe(rcpt)}.{os.getpid()}.{n}"
            tmp = os.path.join(self.mailbox, f".{name}.tmp")
            with open(tmp, "wb") as f:
                f.write(f"X-Envelope-From: {envelope.mail_from}\r\n".encode())
                f.write(f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode())
                f.write(data)
            # Atomic: a reader never sees half a message.
            os.rename(tmp, os.path.join(self.mailbox, name + ".eml"))
        return "250 Message accepted"


class Authenticator:
    """Accepts exactly one user name and password."""

    def __init__(self, credentials):
        user, _, password = credentials.partition(":")
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mailbox", required=True)
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started this one exits (used by the Rust tests)",
    )
    parser.add_argument(
        "--auth",
        metavar="USER:PASSWORD",
        help="require AUTH with these credentials (without TLS: loopback only)",
    )
    parser.add_argument("--tls", choices=["implicit", "starttls"])
    parser.add_argument("--tls-cert", help="the server's certificate chain (PEM)")
    parser.add_argument("--tls-key", help="its private key (PEM)")
    args = parser.parse_args()
    os.makedirs(args.mailbox, exist_ok=True)
    tls = {}
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        tls = {"implicit": dict(ssl_context=context), "starttls": dict(tls_context=context)}[
            args.tls
        ]
    auth = {}
    if args.auth:
        auth = dict(
            authenticator=Authenticator(args.auth),
            auth_required=True,
            auth_require_tls=False,
        )
    controller = Controller(
        SavingHandler(args.mailbox),
        hostname=args.host,
        port=args.port,
        decode_data=False,
        enable_SMTPUTF8=True,
        data_size_limit=10 * 1024 * 1024,
        **auth,
        **tls,
    )
    controller.start()
    print(f"listening on {args.host}:{args.port}, mailbox {args.mailbox}", flush=True)
    stop = asyncio.new_event_loop()
    done = asyncio.Event()

    def _stop(*_):
        stop.call_soon_threadsafe(done.set)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.exit_with_parent:
        parent = os.getppid()

        async def watch_parent():
            while os.getppid() == parent:
                await asyncio.sleep(0.5)
            done.set()

        stop.create_task(watch_parent())
    stop.run_until_complete(done.wait())
    controller.stop()


if __name__ == "__main__":
    main()
