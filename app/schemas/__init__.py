"""Pydantic request and response models of the REST API, in families per resource (Create/Update/Public)."""
