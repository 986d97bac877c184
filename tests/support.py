"""Real parts for integration tests: an SMTP server on loopback and a Celery worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpSink:
    """aiosmtpd handler that keeps every message. `reply` may script an answer per DATA."""

    messages: list[Received] = field(default_factory=list)
    reply: Callable[[Received], str | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        received = Received(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            message_from_bytes(envelope.content, policy=policy.default),  # type: ignore[arg-type]
        )
        scripted = self.reply(received) if self.reply else None
        if scripted:
            return scripted
        with self.lock:
            self.messages.append(received)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)


def start_smtp(port: int, sink: SmtpSink) -> Controller:
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def worker_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY", "FLASK_"))}
    env.update({"APP_ENV": "testing", "PYTHONUNBUFFERED": "1", **settings})
    return env


def start_worker(
    env: dict[str, str],
    log_path: Path,
    *,
    concurrency: int = 1,
    beat: bool = False,
    extra: list[str] | None = None,
) -> subprocess.Popen[bytes]:
    """A real `celery worker` process (prefork), started the way production starts it."""
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.celery_app",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        *(extra or []),
    ]
    if beat:
        cmd.append("--beat")
    log = log_path.open("ab")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


def wait_ready(log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if b"ready." in log_path.read_bytes():
            return
        time.sleep(0.1)
    raise TimeoutError(f"worker not ready after {timeout}s:\n{log_path.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
