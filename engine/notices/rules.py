"""A diagram asks for the customer's opening and closing notices with one process property, so that each process
that talks to customers says so once, and a process that must not (a retention plan, a dunning case, a scheduled
review) sends nothing by default::

    customer_notices = opened, closed

``opened``: after the ticket's first step, when its promises are running (the notice names them, the ticket
number and whom to call); ``closed``: when the ticket closes (not when it is cancelled)."""

PROPERTY = "customer_notices"
MOMENTS = {"opened": "notice_opened", "closed": "notice_closed"}


def declared(props: dict[str, str]) -> set[str]:
    return {word.strip() for word in props.get(PROPERTY, "").split(",") if word.strip()}


def unknown(props: dict[str, str]) -> list[str]:
    """The words of the property that are no moment KeyDesk knows (the diagram check refuses them)."""
    return sorted(declared(props) - set(MOMENTS))
