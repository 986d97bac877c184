"""The Celery side: `celery_app` builds the Flask app; `tasks` are thin wrappers."""
