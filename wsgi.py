"""WSGI entry point: `gunicorn wsgi:app` (production) and `flask --app wsgi ...` (commands)."""

from learning.app import create_app

app = create_app()
