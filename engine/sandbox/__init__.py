"""The sandbox through which every piece of diagram code runs.

SpiffWorkflow evaluates gateway conditions, scripts, timer values, DMN cells, cardinalities and
service-task parameters with plain ``eval``/``exec``, and supervisors edit diagrams in the browser.
KeyDesk puts two lines in front of that:

- `rules`: RestrictedPython's compiler with a narrowed policy. At deploy it refuses what diagram code
  may not say (imports, dunder attributes, while, def, ...) with its line; at run time its guards
  bound loops, sizes and time so that most runaway code stops with its line.
- `pool` and `evaluator`: the code runs in a separate process with hard limits: address space
  (RLIMIT_AS), CPU (RLIMIT_CPU) and wall time. What the guards cannot see (one long C call such as
  ``(1).to_bytes(2*10**9, 'big')``, ``str([s] * 400)`` or comparing deeply shared lists) ends there: the
  process is killed and replaced, the step fails with a located error, the ticket is unchanged, and
  the web and worker processes, which never run diagram code themselves, keep answering.

`wire` checks all task data each time it crosses (size, depth, no cycles; shared parts arrive as
copies), `limits` bounds one engine step and the saved workflow state, `bounds` the values that
shape a workflow (cardinality, timer cycles, durations), and `script_engine` plugs all this into
SpiffWorkflow through its script environment.
"""
