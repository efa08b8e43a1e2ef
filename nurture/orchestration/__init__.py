"""Driving lead workflows from outside: starts, signals, ops actions and the reconciler.

Shared by the entry points (API, CLI, worker); it sits above workflows and below them.
"""
