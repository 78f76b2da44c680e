"""The caller's inbox and the task operations: claim, unclaim, complete, assign."""

from flask import g, request

from engine import inbox, tickets
from engine.errors import InvalidInput
from web.api import blueprint, int_arg, json_body
from web.api import serialize as out


@blueprint.get("/tasks")
def list_tasks():
    """The caller's inbox: tasks of the caller's roles plus those assigned to them, soonest due first.

    Only tasks of tickets within the caller's branches are listed.
    ---
    get:
      tags: [tasks]
      parameters:
        - {in: query, name: role, schema: {type: string}}
        - {in: query, name: assignee, schema: {type: string, enum: [me]}}
        - {in: query, name: state, schema: {type: string, enum: [open, claimed, completed, cancelled]}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 500}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0}}
      responses:
        200:
          description: the tasks
          content:
            application/json:
              schema: {type: object, properties: {tasks: {type: array, items: {$ref: '#/components/schemas/Task'}}}}
    """
    assignee = request.args.get("assignee")
    if assignee not in (None, "me"):
        raise InvalidInput("assignee takes only the value 'me'", [{"field": "assignee", "message": "unknown"}])
    found = inbox.tasks_for(g.actor, role=request.args.get("role"), mine=assignee == "me",
                            state=request.args.get("state"), limit=int_arg("limit", 100, 1, 500),
                            offset=int_arg("offset", 0, 0, 10**9))
    return {"tasks": [out.task(t) for t in found]}


@blueprint.get("/tasks/<int:task_id>")
def show_task(task_id: int):
    """One task with its form schema.
    ---
    get:
      tags: [tasks]
      parameters: [{in: path, name: task_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the task, content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
    """
    return out.task(tickets.get_task(task_id, g.actor), with_form=True)


@blueprint.post("/tasks/<int:task_id>/claim")
def claim(task_id: int):
    """Claim a task of one of your roles.
    ---
    post:
      tags: [tasks]
      parameters: [{in: path, name: task_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the claimed task}
    """
    return out.task(tickets.claim(g.actor, task_id))


@blueprint.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int):
    """Give a claimed task back to its role's queue.
    ---
    post:
      tags: [tasks]
      parameters: [{in: path, name: task_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "the task, open again"}
    """
    return out.task(tickets.unclaim(g.actor, task_id))


@blueprint.post("/tasks/<int:task_id>/complete")
def complete(task_id: int):
    """Complete a task with its form data; a wrong value is a 422 naming the field.

    The answer is the completed task plus `open_tasks`: what the ticket waits for now.
    ---
    post:
      tags: [tasks]
      parameters: [{in: path, name: task_id, required: true, schema: {type: integer}}]
      requestBody:
        content: {application/json: {schema: {type: object, properties: {data: {type: object}}}}}
      responses:
        200: {description: the completed task}
    """
    task = tickets.complete(g.actor, task_id, json_body().get("data", {}))
    return {**out.task(task), "open_tasks": out.open_tasks(task.ticket)}


@blueprint.post("/tasks/<int:task_id>/assign")
def assign(task_id: int):
    """Assign or reassign a task to a user with its role (supervisors).
    ---
    post:
      tags: [tasks]
      parameters: [{in: path, name: task_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [username], properties: {username: {type: string}}}
      responses:
        200: {description: the assigned task}
    """
    return out.task(tickets.assign(g.actor, task_id, json_body().get("username")))
