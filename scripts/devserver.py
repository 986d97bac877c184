"""Start web, worker and beat on the embedded default; Ctrl-C stops everything it started.

Run by `make run` after migrations and demo data. Reads PORT (default 5000).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def banner(base_url: str) -> str:
    sys.path.insert(0, str(ROOT))
    from intake.cli import DEMO_CLINICIANS, DEMO_PASSWORD, DEMO_STAFF, api_example

    lines = [
        "",
        "Wayfinder is starting (web, worker, beat). Press Ctrl-C to stop all three.",
        f"  Intake form (public):   {base_url}/",
        f"  Staff dashboard:        {base_url}/staff/",
        f"  Local mailbox:          {base_url}/dev/mailbox",
        f"  Demo password for every account below: {DEMO_PASSWORD}",
    ]
    lines += [f"    {role.value:<9} {email}" for email, _name, role in DEMO_STAFF]
    lines += [f"    clinician {email}" for email, *_ in DEMO_CLINICIANS]
    lines += [
        "  API, as the demo client (intake.json: see README, 'API'):",
        f"    {api_example(base_url)}",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    port = os.environ.get("PORT", "5000")
    env = {
        **os.environ,
        "BASE_URL": os.environ.get("BASE_URL", f"http://127.0.0.1:{port}"),
        "PYTHONUNBUFFERED": "1",
    }
    commands = {
        "web": [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            # One line per request without its path: a resume link's path is its token.
            "--access-logfile",
            "-",
            "--access-logformat",
            "%(t)s %(m)s %(s)s %(B)sB %(M)sms",
            "wsgi:app",
        ],
        "worker": [
            str(BIN / "celery"),
            "-A",
            "workers.celery_app",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ],
        "beat": [str(BIN / "celery"), "-A", "workers.celery_app", "beat", "--loglevel", "INFO"],
    }
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}  # noqa: S603
    print(banner(env["BASE_URL"]), flush=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping the others", flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        print("stopped web, worker and beat", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
