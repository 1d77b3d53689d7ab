"""Celery app and its thin tasks: alignment labels, Claude batches, training jobs."""
