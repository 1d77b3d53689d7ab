"""Registers every task module with the worker; each module holds the thin tasks of one area."""
