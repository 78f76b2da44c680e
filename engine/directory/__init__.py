"""People, roles and branches: who works at the desk, where, and what they may do."""
