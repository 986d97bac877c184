"""Mailers behind one small interface: SMTP in production, a folder of .eml files in development,
a list in memory for tests; the `MAILER` setting chooses (config.py derives it when unset: SMTP
when SMTP_HOST is set, else the mailbox folder).

`SmtpMailer.send` raises `DeliveryError` classified by RFC 5321: 4yz replies, timeouts and
dropped connections are transient (retried); 5yz replies are permanent (the message is dead).
Once the server has accepted the DATA, nothing that happens afterwards counts as a failure:
reporting one would send the message twice. The connection is kept for the next message (one
per process and thread; `close_connections` at worker shutdown, none shared across a fork).
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app


class DeliveryError(Exception):
    """Sending failed. `transient` errors are retried; the others end in the dead state."""

    def __init__(self, code: str, *, transient: bool) -> None:
        super().__init__(code)
        self.code = code
        self.transient = transient


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


# A kept connection unused for longer than this is closed and a new one opened instead:
# servers drop idle clients after a few minutes (RFC 5321 asks for at least 5), and a
# firewall may drop them silently, which would cost a whole SMTP_TIMEOUT to find out.
REUSE_IDLE_SECONDS = 30.0


class _Connection(smtplib.SMTP):
    """An SMTP client that knows whether DATA was begun on it: a failure before that sent
    nothing, so the message may go again at once on a new connection."""

    data_begun = False
    last_used = 0.0
    key: SmtpMailer | None = None

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_begun = True
        return super().data(msg)


class _TlsConnection(smtplib.SMTP_SSL, _Connection):
    """The same, over implicit TLS."""


class _Kept(threading.local):
    """This thread's open connection, and the settings it was opened with."""

    connection: _Connection | None = None


_kept = _Kept()
_open: set[_Connection] = set()  # every connection of this process, for shutdown and fork
_open_lock = threading.Lock()


@dataclass(frozen=True)
class SmtpMailer:
    """SMTP with STARTTLS or implicit TLS (certificates verified against the system store) and,
    when a username is set, AUTH after TLS. Plain SMTP only where config allows it.

    One connection per process and thread is kept open across messages (a worker process sends
    one message at a time, so one connection each). A kept connection is used again only with
    the same settings and within REUSE_IDLE_SECONDS; after any failure it is dropped. If the
    server has gone away before DATA began (a dropped idle connection, a 421 before the message),
    nothing was sent and the message goes at once on a new connection; a failure after DATA began
    is reported as before, and the outbox retries it with the same Message-ID.
    """

    host: str
    port: int
    timeout: float
    starttls: bool = False
    implicit_tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def send(self, message: EmailMessage) -> None:
        try:
            self._send(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"smtp {codes[0]}", transient=all(400 <= c < 500 for c in codes)
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"smtp {exc.smtp_code}", transient=400 <= exc.smtp_code < 500
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(type(exc).__name__, transient=True) from None

    def _send(self, message: EmailMessage) -> None:
        smtp = _take(self)
        reused = smtp is not None
        while True:
            if smtp is None:
                smtp = self._connect()
            smtp.data_begun = False
            try:
                smtp.send_message(message)
            except Exception as exc:
                _drop(smtp)
                if reused and not smtp.data_begun and _gone(exc):
                    smtp, reused = None, False  # nothing was sent: once more, on a new one
                    continue
                raise
            # Accepted: what happens to the connection from here on is not the message's.
            smtp.last_used = time.monotonic()
            _kept.connection = smtp
            return

    def _connect(self) -> _Connection:
        smtp: _Connection
        if self.implicit_tls:
            smtp = _TlsConnection(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = _Connection(self.host, self.port, timeout=self.timeout)
        smtp.key = self
        with _open_lock:
            _open.add(smtp)
        try:
            if self.starttls and not self.implicit_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            _drop(smtp)
            raise
        return smtp


def _gone(exc: Exception) -> bool:
    """The server hung up, or said it is closing the connection (421)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError))


def _take(mailer: SmtpMailer) -> _Connection | None:
    """This thread's kept connection, if it was opened with these settings and is fresh."""
    smtp = _kept.connection
    if smtp is None:
        return None
    _kept.connection = None
    if time.monotonic() - smtp.last_used >= REUSE_IDLE_SECONDS:
        _drop(smtp)  # no QUIT: on a connection that may be dead it could wait a whole timeout
        return None
    if smtp.key != mailer:
        _quit(smtp)  # the settings changed (a test, a reload): say goodbye to the old server
        return None
    return smtp


def _drop(smtp: _Connection) -> None:
    """Close without a word: after a failure the session's state is unknown."""
    with _open_lock:
        _open.discard(smtp)
    with contextlib.suppress(OSError):
        smtp.close()


def _quit(smtp: _Connection) -> None:
    """QUIT and close; errors don't matter, no message is in flight."""
    with _open_lock:
        _open.discard(smtp)
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        with contextlib.suppress(OSError):
            smtp.close()


def close_connections() -> int:
    """QUIT every connection this process keeps (a worker process shutting down)."""
    with _open_lock:
        found = list(_open)
    for smtp in found:
        _quit(smtp)
    _kept.connection = None
    return len(found)


def _forget_after_fork() -> None:
    """In a forked child (a prefork pool process): the parent's connections are the parent's.

    Their sockets are closed here without QUIT (the parent's session goes on), so no two
    processes ever talk over one connection."""
    global _kept, _open_lock
    _open_lock = threading.Lock()
    for smtp in list(_open):
        with contextlib.suppress(OSError):
            smtp.close()
    _open.clear()
    _kept = _Kept()


os.register_at_fork(after_in_child=_forget_after_fork)


@dataclass
class MailboxMailer:
    """Development: each message becomes one .eml file, named by its Message-ID (idempotent)."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").split("@")[0]
        (self.folder / f"{name}.eml").write_bytes(bytes(message))


@dataclass
class MemoryMailer:
    """Tests: keeps every message it is given, in order (one per app, see `memory`)."""

    messages: list[EmailMessage] = field(default_factory=list)

    def send(self, message: EmailMessage) -> None:
        self.messages.append(message)


def memory(app: Flask) -> MemoryMailer:
    """The in-memory mailbox of `app` (what MAILER=memory has sent)."""
    found: MemoryMailer = app.extensions.setdefault("memory_mailer", MemoryMailer())
    return found


def mailer() -> Mailer:
    """The mailer the current app's settings choose, built from them at each use (so a setting
    changed on a running app, as a test may do, is the one used)."""
    cfg = current_app.config
    if cfg["MAILER"] == "memory":
        return memory(current_app)
    if cfg["MAILER"] == "smtp":
        return SmtpMailer(
            cfg["SMTP_HOST"],
            int(cfg["SMTP_PORT"]),
            float(cfg["SMTP_TIMEOUT"]),
            bool(cfg["SMTP_STARTTLS"]),
            bool(cfg["SMTP_SSL"]),
            cfg["SMTP_USERNAME"],
            cfg["SMTP_PASSWORD"],
        )
    return MailboxMailer(Path(cfg["MAILBOX_DIR"]))
