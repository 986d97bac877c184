"""Development only: the local mailbox, so a newcomer sees what a clinician would receive."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("dev", __name__, url_prefix="/dev")


def _messages() -> list[tuple[str, Any]]:
    folder = Path(current_app.config["MAILBOX_DIR"])
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
    parser = BytesParser(policy=policy.default)
    return [(f.stem, parser.parsebytes(f.read_bytes())) for f in files[:200]]


@bp.get("/mailbox")
def mailbox() -> Any:
    return render_template("dev/mailbox.html", messages=_messages())


@bp.get("/mailbox/<name>")
def message(name: str) -> Any:
    """One message: read that file only (names are Message-ID stems, never paths)."""
    path = Path(current_app.config["MAILBOX_DIR"]) / f"{name}.eml"
    if not name.replace("-", "").isalnum() or not path.is_file():
        abort(404)
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = msg.get_body(preferencelist=("plain",))
    return render_template("dev/message.html", msg=msg, body=body.get_content() if body else "")
