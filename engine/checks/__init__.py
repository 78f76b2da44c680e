"""Deploy-time checks beyond what a single element says: the bundle as a whole (forms, decision tables), the
shape of each process (structure) and where every variable a diagram reads comes from (data flow)."""
