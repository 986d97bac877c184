"""Worker and beat entry point: `celery -A workers.celery_app worker` / `... beat`."""

from typing import Any

from celery.signals import worker_process_shutdown, worker_shutdown

from intake import create_app
from intake.notifications.mailers import close_connections

flask_app = create_app()
celery = flask_app.extensions["celery"]

import workers.tasks  # noqa: E402,F401  - registers the tasks on this app


@worker_process_shutdown.connect(weak=False)  # each prefork pool process, as it exits
@worker_shutdown.connect(weak=False)  # the main process (the solo and thread pools send there)
def _close_smtp(**_: Any) -> None:
    """QUIT the SMTP connection the process kept open (intake.notifications.mailers)."""
    close_connections()
