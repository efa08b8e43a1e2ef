"""Request and response bodies of the public API, one module per domain.

Each class name is its component name in the OpenAPI document (`#/components/schemas/...`):
keep names unique across these modules and do not rename them lightly, client generators
build on them. Types the domain itself computes (SLA figures, scoring-review rows) are
declared once in nurture.rules and answered as they are.
"""
