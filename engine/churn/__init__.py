"""Pre-churn signals (离网预警, 004 §三.2.6 and §五.8; 000 §二.3): signals arrive by the API, by an import or from
the nightly pass (``bpmn/churn_watch.bpmn``), the decision table ``churn_signal_weight`` weighs them, and a customer
whose score reaches the threshold gets a ``retention_plan`` ticket by itself; one under it is on the at-risk list.

``models`` holds the rows, ``rules`` reads the deployed table and properties, ``signals`` records and scores,
``derived`` finds the signals in KeyDesk's own data, ``at_risk`` lists and acts on the customers at risk.
"""
