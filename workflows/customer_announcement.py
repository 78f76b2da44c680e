"""Announcements to customers (``bpmn/customer_announcement.bpmn``): fix the recipients, check that a second person
approved, queue a batch, tell the account managers (engine/announcements)."""

from sqlalchemy import select

from engine.announcements import batches, recipients
from engine.announcements.models import AnnouncementRecipient
from engine.db import db
from engine.models import Customer, User
from notifications import notify


def select_recipients(call) -> dict:
    """No parameters. The draft's customers (query or list) within the ticket's branches, fixed as recipients;
    kept on the ticket as customers and addresses."""
    ids = recipients.customers_of(call.scope(), call.data)
    if not ids:
        raise LookupError("no customer matches the announcement's recipients (没有符合条件的接收客户)")
    selected = {"customers": len(ids), "addresses": recipients.fix(call.ticket, ids, call.data["channels"])}
    call.record_on_ticket(selected)  # the approver reads how many the notice reaches
    return selected


def check_approver(call) -> dict:
    """No parameters. Refuses an approval by the drafter: a second person approves (双人复核)."""
    if call.actor is not None and call.actor.id == call.ticket.creator_id:
        raise PermissionError("a second person must approve the announcement, not its drafter "
                              "(公告须由起草人以外的人审批)")
    return {"approved_by": call.actor.username if call.actor else None}


def send_batch(call) -> dict:
    """No parameters. Queues the next ``batch.size`` (process property, 500) recipients; queued and remaining."""
    props = call.ticket.process_version.properties
    data = {**call.data, "quiet_hours": props.get("quiet_hours")}
    return batches.send_batch(call.ticket, data, int(props.get("batch.size", 500)))


def tell_managers(call) -> dict:
    """No parameters. One message to each account manager of a recipient."""
    managers = list(db.session.scalars(select(User).join(Customer, Customer.account_manager_id == User.id)
                                       .join(AnnouncementRecipient, AnnouncementRecipient.customer_id == Customer.id)
                                       .where(AnnouncementRecipient.ticket_id == call.ticket.id).distinct()))
    subject = f"{call.data['title_zh']} / {call.data['title_en']}"
    body = f"Your customers were told / 已通知您的客户:\n{call.data['body_zh']}\n{call.data['body_en']}"
    notify.people("process_message", managers, call.key, call.ticket, subject=subject, body=body, data=call.data)
    return {"notified": len(managers)}


HANDLERS = {"customer_announcement.select": select_recipients, "customer_announcement.check_approver": check_approver,
            "customer_announcement.send_batch": send_batch, "customer_announcement.tell_managers": tell_managers}
OUTPUTS = {"customer_announcement.select": ["customers", "addresses"],
           "customer_announcement.send_batch": ["queued", "remaining"]}
