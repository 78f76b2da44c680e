"""The retention plan library (挽留方案库, 004 §五.8.5 挽留方案 and §五.8.6 挽留效果评估): the plans an account manager
chooses from in ``retention_plan`` (its choose form reads the active entries), kept by the supervisors as data,
never a list in code; and what each closed plan taught: the plan used, kept or lost, the churn reason, the lesson.

``models`` holds the rows, ``library`` lists and changes the entries (retired, never deleted), ``results`` records
a closed plan against its entry and reports the churn reasons.

Scope: an entry of no branch is the company's, kept at headquarters or a provincial branch (where the retention
policy is set) and offered everywhere; an entry of a branch is offered on that branch's tickets and those of the
branches under it, and seen and changed only by the supervisors of that branch or above (a city's own offers: its
discounts, its management's visits). The use and outcome figures always count only the reader's branches.
"""
