"""The Segment-spec integration: identify, track and page calls from any CDP, one or a batch.

`identify` creates or updates the lead (api.segment.identify); `track` and `page` become
behaviour events on the same durable path as /v1/events (api.segment.track), with the
messageId as event_id, so a retried message counts once. A CDP sends everything: calls
nurture does not use are accepted and reported as ignored; a message that is wrong is
rejected on its own without failing the others (api.segment.service).

- `endpoint`: the route; `service`: one request's messages, dispatched and counted;
- `sdk_endpoint`, `sdk`: the paths the CDP SDKs post to (/v1/batch, /v1/track...) when
  nurture is their host, answered as Segment's API answers them;
- `spec`: what nurture reads from a message (the models are in api.schemas.segment);
- `leads`: the lead a message names, found by its keys or stored from an identify;
- `results`: each message's outcome. Who may call is api.auth's `SegmentBody`.
"""
