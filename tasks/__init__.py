"""Celery: the app, the scan tasks and the progress events workers publish."""
