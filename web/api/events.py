"""GET /api/v1/events: the caller's live notices as server-sent events, the stream the staff pages read
(web/live_stream.py), for a desk client that holds a bearer token."""

from flask import g, make_response

from web import live_stream
from web.api import blueprint, error


@blueprint.get("/events")
def live_events():
    """The caller's live notices (text/event-stream): a task new in their queues or handed to them, a warning or a
    breach on theirs, within their branches, not of their own doing. Each notice is a JSON ``data`` line with its
    ``id``; ``position`` events move the id on without a notice. The stream ends after about 25 s: reconnect with
    the last id as Last-Event-ID (EventSource does it by itself) and nothing is missed.
    ---
    get:
      tags: [live]
      parameters:
        - {in: header, name: Last-Event-ID, schema: {type: string, example: 0-42},
           description: "the last event id received; without it the stream starts now"}
        - {in: query, name: after, schema: {type: string, example: 0-42},
           description: "the same, for a client that cannot set the header"}
      responses:
        200:
          description: "the stream: notices {id, kind (queued, assigned, warning, breach), task, ticket}"
          content: {text/event-stream: {schema: {type: string}}}
        503: {description: "this server holds as many streams as it may; try again after Retry-After seconds"}
    """
    response = live_stream.open_stream(g.actor)
    if response is None:
        return live_stream.busy(make_response(*error(
            503, "busy", "too many live streams on this server just now; try again after Retry-After seconds",
            message_zh="此服务器当前实时连接过多，请在 Retry-After 秒后重试")))
    return response
