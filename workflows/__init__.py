"""Temporal workflows: the lead's life and the sales handoff."""
