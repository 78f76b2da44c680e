"""One access rule for the pages and the API: each action on a ticket or task, by people of each kind of role,
branch and involvement, answers the same on both (allowed, 403 not involved, 404 outside the branch)."""

import pytest

from engine.db import db
from engine.directory import users
from tests.web_data import open_task, red_ticket

# action: (page request, API request); a request is (method, path, body); {t} the ticket, {k} its open task
ACTIONS = {
    "see the ticket": (("get", "/tickets/{t}", None), ("get", "/api/v1/tickets/{t}", None)),
    "see its diagram": (("get", "/tickets/{t}/diagram", None), None),
    "comment": (("post", "/tickets/{t}/comments", {"body": "Called the customer"}),
                ("post", "/api/v1/tickets/{t}/comments", {"body": "Called the customer"})),
    "pause": (("post", "/tickets/{t}/pause", {"reason": "Customer to confirm access"}),
              ("post", "/api/v1/tickets/{t}/pause", {"reason": "Customer to confirm access"})),
    "see the task": (None, ("get", "/api/v1/tasks/{k}", None)),
    "work the task": (("get", "/tasks/{k}", None), ("post", "/api/v1/tasks/{k}/claim", None)),
}
SEE = ("see the ticket", "see its diagram", "comment", "pause", "see the task")
# who: the actions they may take on a red fault of a Pudong customer opened by 'agent', whose first task
# waits for the agent role; any other action is 403, and everything is 404 for someone outside the branch
ALLOWED = {
    "agent": {*SEE, "work the task"},        # opened it; the task's role; provincial branch
    "pudong": {*SEE, "work the task"},       # the task's role, in the customer's city branch
    "manager": set(SEE),                     # the customer's account manager
    "supervisor": {*SEE, "work the task"},   # sees every ticket; steps in on any task of their branches
    "billing": set(),                        # provincial branch, but not involved
    "tech": set(),                           # no task of the tech's yet
    "minhang": None,                         # the task's role, but the other city branch: 404
}
SUCCESS = {("page", "get"): 200, ("page", "post"): 302, ("api", "get"): 200, ("api", "post"): 200}
CREATED = {"/api/v1/tickets/{t}/comments"}


def expected(user: str, action: str, side: str, method: str, path: str) -> int:
    if ALLOWED[user] is None:
        return 404
    if action not in ALLOWED[user]:
        return 403
    return 201 if path in CREATED else SUCCESS[side, method]


@pytest.mark.parametrize("user", ALLOWED)
def test_pages_and_api_answer_alike(app, staff, user):
    page, bearer = staff(user), {"Authorization": f"Bearer {users.issue_token(users.by_username(user))}"}
    wrong = []
    for action, sides in ACTIONS.items():
        for side, request in zip(("page", "api"), sides, strict=True):
            if request is None:
                continue
            ticket = red_ticket()  # a fresh ticket each time: a pause or claim does not change the next answer
            method, path, body = request
            url = path.format(t=ticket.id, k=open_task(ticket).id)
            if side == "page":
                response = page.get(url) if method == "get" else page.post(url, data=body)
            else:
                response = app.test_client().open(url, method=method.upper(), json=body, headers=bearer)
            if response.status_code != expected(user, action, side, method, path):
                wrong.append((action, side, response.status_code, expected(user, action, side, method, path)))
    assert wrong == []


def test_a_refusal_says_why_in_english_and_chinese_on_the_api_and_in_the_readers_language_on_the_page(app, staff):
    ticket = red_ticket()
    billing = users.by_username("billing")
    bearer = {"Authorization": f"Bearer {users.issue_token(billing)}"}
    answer = app.test_client().get(f"/api/v1/tickets/{ticket.id}", headers=bearer)
    assert answer.status_code == 403
    assert answer.json["error"]["message"] == f"ticket {ticket.number} is not one of yours"
    assert answer.json["error"]["message_zh"].startswith(f"工单 {ticket.number} 与您无关")

    page = staff("billing")
    assert f"ticket {ticket.number} is not one of yours" in page.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    billing.locale = "zh_CN"
    db.session.commit()
    refused = page.get(f"/tickets/{ticket.id}")
    assert refused.status_code == 403 and f"工单 {ticket.number} 与您无关" in refused.get_data(as_text=True)
