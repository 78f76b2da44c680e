"""Tickets: start, list, show (with open tasks and history), cancel, comment."""

from flask import g, request

from engine import tickets
from engine.search import tickets as ticket_search
from web.api import blueprint, int_arg, json_body
from web.api import serialize as out


@blueprint.post("/tickets")
def start_ticket():
    """Open a ticket on the newest version of a process.
    ---
    post:
      tags: [tickets]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [process, title]
              properties:
                process: {type: string, example: red_fault}
                title: {type: string}
                customer_id: {type: integer}
                priority: {type: string, enum: [low, normal, high, urgent]}
                data: {type: object, description: the process's start form}
      responses:
        201: {description: the ticket, content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}}
    """
    body = json_body()
    ticket = tickets.start_ticket(g.actor, process=body.get("process"), title=body.get("title"),
                                  customer_id=body.get("customer_id"), priority=body.get("priority", "normal"),
                                  data=body.get("data", {}))
    return out.ticket(ticket, full=True), 201


@blueprint.get("/tickets")
def list_tickets():
    """List the tickets of the caller's branches, newest first; ``q`` finds them by number, title, customer name
    or code, or a phone of the customer or its contacts in any spacing.
    ---
    get:
      tags: [tickets]
      parameters:
        - {in: query, name: q, schema: {type: string}, example: 139 1111-0001}
        - {in: query, name: status, schema: {type: string, enum: [open, closed, cancelled]}}
        - {in: query, name: channel, schema: {type: string, enum: [green, yellow, red]}}
        - {in: query, name: customer_id, schema: {type: integer}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 500}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0}}
      responses:
        200: {description: the tickets}
        422: {$ref: '#/components/responses/Error'}
    """
    where = ticket_search.TicketFilter(q=request.args.get("q", "").strip() or None,
                                       status=request.args.get("status"), channel=request.args.get("channel"),
                                       customer_id=int_arg("customer_id", None, 1, 2**62))
    found = ticket_search.find(g.actor, where, limit=int_arg("limit", 100, 1, 500),
                               offset=int_arg("offset", 0, 0, 10**9))
    return {"tickets": [out.ticket(t) for t in found]}


@blueprint.get("/tickets/<int:ticket_id>")
def show_ticket(ticket_id: int):
    """A ticket with its open tasks and its full history (404 outside the caller's branches).
    ---
    get:
      tags: [tickets]
      parameters: [{in: path, name: ticket_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the ticket, content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}}
    """
    return out.ticket(tickets.get_ticket(ticket_id, g.actor), full=True)


@blueprint.post("/tickets/<int:ticket_id>/cancel")
def cancel_ticket(ticket_id: int):
    """Cancel a ticket with a reason (supervisors).
    ---
    post:
      tags: [tickets]
      parameters: [{in: path, name: ticket_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [reason], properties: {reason: {type: string}}}}}
      responses:
        200: {description: the cancelled ticket}
    """
    ticket = tickets.cancel(g.actor, ticket_id, json_body().get("reason"))
    return out.ticket(ticket, full=True)


@blueprint.post("/tickets/<int:ticket_id>/pause")
def pause_ticket(ticket_id: int):
    """The ticket waits on the customer: its SLA clocks stop.
    ---
    post:
      tags: [tickets]
      parameters: [{in: path, name: ticket_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [reason], properties: {reason: {type: string}}}}}
      responses:
        200: {description: the ticket}
    """
    return out.ticket(tickets.pause(g.actor, ticket_id, json_body().get("reason")), full=True)


@blueprint.post("/tickets/<int:ticket_id>/resume")
def resume_ticket(ticket_id: int):
    """The customer answered: the SLA clocks count again, their due times moved by the pause.
    ---
    post:
      tags: [tickets]
      parameters: [{in: path, name: ticket_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the ticket}
    """
    return out.ticket(tickets.resume(g.actor, ticket_id), full=True)


@blueprint.post("/tickets/<int:ticket_id>/comments")
def add_comment(ticket_id: int):
    """Add a comment to a ticket's history.
    ---
    post:
      tags: [tickets]
      parameters: [{in: path, name: ticket_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [body], properties: {body: {type: string}}}}}
      responses:
        201: {description: the ticket with the comment in its history}
    """
    tickets.comment(g.actor, ticket_id, json_body().get("body"))
    return out.ticket(tickets.get_ticket(ticket_id, g.actor), full=True), 201
