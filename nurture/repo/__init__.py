"""Data access: every query lives in one of these modules, one per area."""
