"""The HTTP front: lead intake, behaviour webhooks, lead state."""
