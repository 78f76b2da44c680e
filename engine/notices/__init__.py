"""The customer kept informed (001 "建立客户抱怨管理体系": progress told to the customer; 000 §4.3 通知客户): notices
about a ticket to the customer's primary contact, in the customer's language, once per event and occurrence,
each on the ticket's history."""
