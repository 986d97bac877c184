"""One send, before and after a change: statements, SMTP connections and time per message.

    python bench/compare_send.py [--before 8235b9b] [--messages 200] [--rounds 3]

Loads intake/services/outbox.py and intake/notifications/mailers.py as they were at commit
--before (git show) next to the working tree's, on the stack of bench/stack.py (PostgreSQL,
aiosmtpd in this process; no worker: `deliver` runs here, as the worker's task would). The
outbox is filled first; then the two versions deliver --messages rows each, in turn, round after
round. Prints, per version: SQL statements per send (counted on the engine), SMTP connections
per message, and wall and CPU milliseconds per send (medians of the rounds). Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_worker import fill_outbox  # noqa: E402
from stack import ROOT, machine, stack  # noqa: E402

from tests.support import count_queries  # noqa: E402


def old_module(commit: str, path: str, name: str, folder: Path) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout
    file = folder / f"{name}.py"
    file.write_text(source)
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None  # noqa: S101
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="8235b9b")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from intake.services import outbox as new_outbox

    with stack() as s, tempfile.TemporaryDirectory() as tmp:
        old_mailers = old_module(
            args.before, "intake/notifications/mailers.py", "old_mailers", Path(tmp)
        )
        old_outbox = old_module(args.before, "intake/services/outbox.py", "old_outbox", Path(tmp))
        old_outbox.mailer = old_mailers.__dict__["mailer"]  # type: ignore[attr-defined]
        old_outbox.DeliveryError = old_mailers.DeliveryError  # type: ignore[attr-defined]
        versions = {f"before ({args.before})": old_outbox, "after (working tree)": new_outbox}
        per = args.messages
        ids = fill_outbox(s, per * args.rounds * len(versions) + 20)
        app = s.app()
        with app.app_context():  # warm up both
            for i, module in enumerate(versions.values()):
                for nid in ids[i * 10 : (i + 1) * 10]:
                    module.deliver(nid)
        ids = ids[20:]
        wall: dict[str, list[float]] = {name: [] for name in versions}
        cpu: dict[str, list[float]] = {name: [] for name in versions}
        statements: dict[str, float] = {}
        connections: dict[str, float] = {}
        for r in range(args.rounds):
            for v, (name, module) in enumerate(versions.items()):
                batch = ids[(r * len(versions) + v) * per : (r * len(versions) + v + 1) * per]
                opened = len(s.sink.connections)
                with count_queries(app) as seen:
                    began, began_cpu = time.perf_counter(), time.process_time()
                    with app.app_context():
                        for nid in batch:
                            module.deliver(nid)
                    wall[name].append((time.perf_counter() - began) / per * 1000)
                    cpu[name].append((time.process_time() - began_cpu) / per * 1000)
                statements[name] = len(seen) / per
                connections[name] = (len(s.sink.connections) - opened) / per
        dupes = s.sink.duplicates()
        from intake.extensions import db

        with app.app_context():
            db.engine.dispose()
    print(machine())
    print(f"{args.rounds} rounds of {per} sends per version, in turn; this process does the sends")
    print(f"{'version':<24}{'statements':>11}{'connections':>12}{'wall ms':>9}{'CPU ms':>8}")
    for name in versions:
        print(
            f"{name:<24}{statements[name]:11.2f}{connections[name]:12.2f}"
            f"{statistics.median(wall[name]):9.2f}{statistics.median(cpu[name]):8.2f}"
        )
    print(f"(per send; duplicated Message-IDs: {len(dupes)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
