"""Mailers behind one small interface: SMTP in production, a folder of .eml files in development,
a list in memory for tests; the `MAILER` setting chooses (config.py derives it when unset: SMTP
when SMTP_HOST is set, else the mailbox folder).

`SmtpMailer.send` raises `DeliveryError` classified by RFC 5321: 4yz replies, timeouts and
dropped connections are transient (retried); 5yz replies are permanent (the message is dead).
Once the server has accepted the DATA, nothing that happens afterwards (QUIT) counts as a
failure: reporting one would send the message twice.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app


class DeliveryError(Exception):
    """Sending failed. `transient` errors are retried; the others end in the dead state."""

    def __init__(self, code: str, *, transient: bool) -> None:
        super().__init__(code)
        self.code = code
        self.transient = transient


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass
class SmtpMailer:
    """SMTP with STARTTLS or implicit TLS (certificates verified against the system store) and,
    when a username is set, AUTH after TLS. Plain SMTP only where config allows it."""

    host: str
    port: int
    timeout: float
    starttls: bool = False
    implicit_tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def send(self, message: EmailMessage) -> None:
        smtp: smtplib.SMTP | None = None
        try:
            if self.implicit_tls:
                smtp = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)
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
        finally:
            if smtp is not None:
                _close_quietly(smtp)


def _close_quietly(smtp: smtplib.SMTP) -> None:
    """QUIT and close; the outcome of the message is already known, so errors don't matter."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


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
