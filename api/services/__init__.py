"""What the API does, per domain, apart from HTTP: routes parse, call one of these, and
shape the answer.

A service owns the orchestration of a request: its database steps (each one unit of work
through api.database.Database, the queries in nurture.repo), its Temporal calls (through
nurture.orchestration, failures given their meaning by api.errors), and the domain errors
it raises. Services return the API's schemas or small results the route turns into status
codes. Segment's integration has its own package, api.segment, built on these.
"""
