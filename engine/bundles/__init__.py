"""A deployment is a bundle (issue 15): one or more BPMN diagrams, the DMN decision tables they use and their forms.

Each diagram is checked against the tables and forms it uses, a called process of the bundle before its caller, and
the bundle deploys in one transaction. The single-diagram deploy is the bundle of one.
"""
