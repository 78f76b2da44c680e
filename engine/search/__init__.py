"""Finding records: the ticket list with its filters and the one-box search by number, title, customer or phone."""
