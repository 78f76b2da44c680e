"""Customer records: search, read (every read is logged), edit with a reason; contacts, contracts, history, views.

A customer outside the caller's branches answers 404, exactly like one that does not exist. Nothing
here deletes: contacts are deactivated (``active: false``), contracts ended (``status: ended``).
"""

from flask import g, request

from engine import contacts, contracts, customer_accounts, customer_views, customers
from engine.directory import branches
from web.api import blueprint, int_arg, json_body
from web.api import serialize as out


def _changes_and_reason() -> tuple[dict, object]:
    """A body of fields plus ``reason``: the fields are the changes, the reason goes into the history."""
    body = json_body()
    reason = body.pop("reason", None)
    return body, reason


@blueprint.get("/customers")
def search_customers():
    """Customers of the caller's branches whose name, code, phone, contact phone or contract number holds `q`.
    ---
    get:
      tags: [customers]
      parameters:
        - {in: query, name: q, schema: {type: string}, description: "part of a name, code, phone or contract number"}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 200}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0}}
      responses:
        200:
          description: the customers, by name (a summary; reading one is logged)
          content:
            application/json:
              schema:
                type: object
                properties: {customers: {type: array, items: {$ref: '#/components/schemas/Customer'}}}
    """
    found = customers.search(g.actor, request.args.get("q"), limit=int_arg("limit", 50, 1, 200),
                             offset=int_arg("offset", 0, 0, 10**9))
    return {"customers": [out.customer(c) for c in found]}


@blueprint.post("/customers")
def create_customer():
    """Open a customer in one of the caller's branches, with its contacts; the reason goes into its history.
    ---
    post:
      tags: [customers]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [reason, code, name, kind, tier, branch]
              properties:
                reason: {type: string}
                code: {type: string}
                name: {type: string}
                kind: {type: string, enum: [group, individual]}
                tier: {type: string, enum: [A+, A, B, C]}
                industry: {type: string}
                phone: {type: string}
                branch: {type: string, description: "a branch code, one the caller sees"}
                account_manager: {type: string, description: "a username with the manager role who sees the branch"}
                credit_level: {type: string, enum: [red, grey, black]}
                member_card: {type: string, enum: [diamond, emerald, sapphire], nullable: true}
                status: {type: string, enum: [active, locked, prospect, departed]}
                contacts:
                  type: array
                  items:
                    type: object
                    required: [name]
                    properties: {name: {type: string}, role: {type: string}, phone: {type: string},
                                 email: {type: string}}
      responses:
        201: {description: the record, content: {application/json: {schema: {$ref: '#/components/schemas/Customer'}}}}
    """
    body, reason = _changes_and_reason()
    customer = customer_accounts.create(g.actor, body, reason)
    return out.customer(customer, full=True), 201


@blueprint.post("/customers/portfolio-moves")
def move_portfolio():
    """Move customers from one account manager to another in one step (a manager leaves); the old manager's open
    tasks on their tickets follow, and each customer's history and each ticket's history record it.
    ---
    post:
      tags: [customers]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [from, to, customers, reason]
              properties:
                from: {type: string, description: the leaving manager's username}
                to: {type: string, description: the new manager's username}
                customers: {type: array, items: {type: string}, description: customer codes}
                reason: {type: string}
      responses:
        200: {description: "`customers`: the codes moved, `tasks`: how many tasks followed"}
    """
    body = json_body()
    return customer_accounts.move_portfolio(g.actor, body.get("from"), body.get("to"), body.get("customers"),
                                            body.get("reason"))


@blueprint.get("/customers/<int:customer_id>")
def show_customer(customer_id: int):
    """A customer's record: profile, contacts and contracts with their expiry. The read is logged.
    ---
    get:
      tags: [customers]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the record, content: {application/json: {schema: {$ref: '#/components/schemas/Customer'}}}}
    """
    return out.customer(customer_views.open_record(g.actor, customer_id, "api"), full=True)


@blueprint.patch("/customers/<int:customer_id>")
def update_customer(customer_id: int):
    """Change a customer's fields with a reason; each changed field becomes a line of its history.
    ---
    patch:
      tags: [customers]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [reason]
              properties:
                reason: {type: string}
                name: {type: string}
                tier: {type: string, enum: [A+, A, B, C]}
                credit_level: {type: string, enum: [red, grey, black]}
                member_card: {type: string, enum: [diamond, emerald, sapphire], nullable: true}
                status: {type: string, enum: [active, locked, prospect, departed]}
                phone: {type: string}
                industry: {type: string}
                arpu: {type: string, example: "1280.00"}
                points: {type: integer}
                account_manager_id: {type: integer, nullable: true}
                branch_id: {type: integer, description: one of the caller's branches}
                language: {type: string, enum: [zh_CN, en], description: the language of the customer's notices}
                no_sms: {type: boolean, description: the customer asked for no SMS notices}
      responses:
        200: {description: the record, content: {application/json: {schema: {$ref: '#/components/schemas/Customer'}}}}
    """
    changes, reason = _changes_and_reason()
    customers.update(g.actor, customer_id, changes, reason)
    return out.customer(customers.get(customer_id), full=True)


@blueprint.get("/customers/<int:customer_id>/contacts")
def list_contacts(customer_id: int):
    """The customer's contacts, active ones first. The read is logged.
    ---
    get:
      tags: [customers]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the contacts}
    """
    customer = customer_views.open_record(g.actor, customer_id, "api", "contacts")
    return {"contacts": [out.contact(c) for c in contacts.of(customer)]}


@blueprint.post("/customers/<int:customer_id>/contacts")
def add_contact(customer_id: int):
    """Add a contact person, with a reason for the history.
    ---
    post:
      tags: [customers]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name, reason]
              properties:
                name: {type: string}
                role: {type: string, description: their job at the customer}
                phone: {type: string}
                email: {type: string}
                reason: {type: string}
      responses:
        201: {description: the contact}
    """
    values, reason = _changes_and_reason()
    return out.contact(contacts.add(g.actor, customer_id, values, reason)), 201


@blueprint.patch("/customers/<int:customer_id>/contacts/<int:contact_id>")
def update_contact(customer_id: int, contact_id: int):
    """Change a contact with a reason; `active: false` retires a contact (nothing is deleted).
    ---
    patch:
      tags: [customers]
      parameters:
        - {in: path, name: customer_id, required: true, schema: {type: integer}}
        - {in: path, name: contact_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [reason]
              properties:
                name: {type: string}
                role: {type: string}
                phone: {type: string}
                email: {type: string}
                active: {type: boolean}
                no_sms: {type: boolean, description: this contact asked for no SMS notices}
                reason: {type: string}
      responses:
        200: {description: the contact}
    """
    changes, reason = _changes_and_reason()
    return out.contact(contacts.update(g.actor, customer_id, contact_id, changes, reason))


@blueprint.get("/customers/<int:customer_id>/contracts")
def list_contracts(customer_id: int):
    """The customer's contracts, soonest end first, with `expiry` (current, expiring, expired, ended, open-ended).
    ---
    get:
      tags: [customers]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the contracts}
    """
    customer = customer_views.open_record(g.actor, customer_id, "api", "contracts")
    return {"contracts": [out.contract(c) for c in contracts.of(customer)]}


@blueprint.post("/customers/<int:customer_id>/contracts")
def add_contract(customer_id: int):
    """Add a contract, with a reason for the history.
    ---
    post:
      tags: [customers]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [number, title, start_date, reason]
              properties:
                number: {type: string, example: HT-2026-0001}
                title: {type: string}
                start_date: {type: string, format: date}
                end_date: {type: string, format: date, nullable: true}
                amount: {type: string, example: "120000.00"}
                status: {type: string, enum: [draft, active, ended]}
                reason: {type: string}
      responses:
        201: {description: the contract}
    """
    values, reason = _changes_and_reason()
    return out.contract(contracts.add(g.actor, customer_id, values, reason)), 201


@blueprint.patch("/customers/<int:customer_id>/contracts/<int:contract_id>")
def update_contract(customer_id: int, contract_id: int):
    """Change a contract with a reason; `status: ended` ends it (it stays on the record).
    ---
    patch:
      tags: [customers]
      parameters:
        - {in: path, name: customer_id, required: true, schema: {type: integer}}
        - {in: path, name: contract_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [reason]
              properties:
                number: {type: string}
                title: {type: string}
                start_date: {type: string, format: date}
                end_date: {type: string, format: date, nullable: true}
                amount: {type: string}
                status: {type: string, enum: [draft, active, ended]}
                reason: {type: string}
      responses:
        200: {description: the contract}
    """
    changes, reason = _changes_and_reason()
    return out.contract(contracts.update(g.actor, customer_id, contract_id, changes, reason))


@blueprint.get("/customers/<int:customer_id>/history")
def customer_history(customer_id: int):
    """Every change to the customer, its contacts and contracts: who, when, why, from which ticket. Logged.
    ---
    get:
      tags: [customers]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "the changes, oldest first"}
    """
    customer = customer_views.open_record(g.actor, customer_id, "api", "history")
    return {"history": [out.change(c) for c in customers.history(customer)]}


@blueprint.get("/customers/<int:customer_id>/views")
def customer_view_log(customer_id: int):
    """Who looked at the customer's record and when, newest first (supervisors and admins).
    ---
    get:
      tags: [customers]
      parameters:
        - {in: path, name: customer_id, required: true, schema: {type: integer}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 1000}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0}}
      responses:
        200: {description: the looks}
    """
    customer = customer_views.open_record(g.actor, customer_id, "api", "views")
    found = customer_views.of(customer, limit=int_arg("limit", 200, 1, 1000), offset=int_arg("offset", 0, 0, 10**9))
    return {"views": [out.view(v) for v in found]}


@blueprint.get("/branches")
def list_branches():
    """The branches the caller sees: their own and every branch below it (headquarters sees all).
    ---
    get:
      tags: [customers]
      responses:
        200: {description: the branches}
    """
    return {"branches": [out.branch(b) for b in branches.listing(g.actor)]}
