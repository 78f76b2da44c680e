"""The staff pages hold only what lies within the user's branches: elsewhere a ticket or task is a 404."""

from engine import tickets
from tests.test_web_customers import customer
from tests.web_data import open_task, red_ticket


def test_a_ticket_and_its_task_of_another_branch_are_404_pages(staff):
    ticket = red_ticket(customer_code="G0001")  # Pudong
    task = open_task(ticket)
    minhang, pudong = staff("minhang"), staff("pudong")
    for path in (f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/diagram", f"/tasks/{task.id}"):
        assert minhang.get(path).status_code == 404, path
        assert pudong.get(path).status_code == 200, path
    assert minhang.post(f"/tickets/{ticket.id}/comments", data={"body": "peek"}).status_code == 404
    assert [e.kind for e in tickets.history(ticket)] == ["created", "task_created", "customer_notified"]


def test_the_inbox_page_lists_only_tasks_within_ones_branches(staff):
    pudong_ticket, minhang_ticket = red_ticket(customer_code="G0001"), red_ticket(customer_code="G0004")
    html = staff("minhang").get("/inbox?view=queues").get_data(as_text=True)
    assert minhang_ticket.number in html and pudong_ticket.number not in html


def test_the_new_ticket_customer_picker_and_preselection_stay_within_ones_branches(staff):
    minhang = staff("minhang")
    picked = minhang.get("/tickets/new/customers?q=G000").get_data(as_text=True)
    assert "Minhang Textile Co." in picked and "Shanghai Port Logistics Group" not in picked
    preselected = f"/tickets/new/red?customer_id={customer('G0001').id}"
    assert "Shanghai Port Logistics Group" not in minhang.get(preselected).get_data(as_text=True)
    assert "Shanghai Port Logistics Group" in staff("pudong").get(preselected).get_data(as_text=True)
