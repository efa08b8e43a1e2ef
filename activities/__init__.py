"""Temporal activities: every side effect of a lead's life (database, SMTP)."""
