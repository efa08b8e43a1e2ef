"""The HTTP endpoints, one module per resource: parse the request, call a service
(api.services), shape the response. Authentication is declared with api.auth's
dependencies; bodies and answers are api.schemas models."""
