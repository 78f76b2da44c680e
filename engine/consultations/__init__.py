"""Consultations and suggestions (``bpmn/yellow_consultation.bpmn``; 004 §三.4.6, §二.2(4)): what the desk reports of
them. ``suggestions`` counts the suggestions filed, accepted or not, per department, branch and month."""
