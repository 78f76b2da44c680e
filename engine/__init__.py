"""KeyDesk's runtime on SpiffWorkflow: deployments, tickets, human tasks and their audit trail.

The web layer and the scheduler call into this package; it never imports ``web``.
"""
