"""Revisit programmes (客户回访, 000 §二.3; 004 §五.7): ``selection`` names the customers of each kind of plan,
``plans`` hands one ``customer_revisit`` ticket per customer to the customer's own account manager, ``records``
reads a customer's revisits and counts planned against done for the reports."""
