"""Live notices: what the staff pages push to a person the moment a task reaches them (issue 18, "see what is due,
as it happens"). A step writes a row of ``live_events`` in its own transaction (engine.live.events); the web
workers' streams read the rows each person may see (web/live_stream.py); the scheduler purges old rows."""
