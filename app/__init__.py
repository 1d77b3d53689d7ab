"""Redline's annotation server: web app, REST API, CLI and the services they share."""
