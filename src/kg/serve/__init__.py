"""Stage: the HTTP server (Flask app factory; waitress in production)."""

from kg.serve.app import create_app

__all__ = ["create_app"]
