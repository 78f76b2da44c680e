"""Instructions the web app executes per completion (a list, a claim and a complete), counted by valgrind, for
today's code and, with --baseline, an earlier checkout's, in one run: a CPU figure that does not drift with the
machine.

bench/load.py's server CPU per completion moves by a fifth within minutes on a shared machine, and its ratio of
two codes with it. An instruction count hardly moves: two counts on copies of one database agree to a fraction of a
percent, whatever else the machine does; counts on databases prepared apart (another run, another hour) differ by
up to 3 %: compare codes within one run, as this benchmark does, and measure a smaller change on copies of one
database (CREATE DATABASE … TEMPLATE).

What it does, for each code, on PostgreSQL (``--database``; the baseline's database is that name + ``_base``):
1. a database of its own, made by that code (bench/load.py's prepare or prepare_baseline: the demo data, the demo
   agent's token) with ``--staff`` colleagues (add_staff), then ``--tickets`` red-channel faults started through
   the app's test client in a process of that code (DRIVER), and ANALYZE;
2. DRIVER under callgrind twice, in the code's own checkout with this Python: WARM_UP completions, then none, then
   ``--completions``; the difference of the two counts divided by ``--completions`` is one completion. A
   completion is the demo agent's GET /api/v1/tasks?limit=20, then the claim and the complete of the first open
   task, through the Flask test client: the WSGI app and all below it in that process, not an HTTP server, not
   PostgreSQL, not the sandbox's evaluator processes (today's code renders one message per completion in one);
3. DRIVER once more without valgrind, ``--plain`` completions after WARM_UP: the SQL statements it sends, and its
   user and system CPU (getrusage) per completion. Instructions count user space only; each statement also costs
   the kernel a round trip on the socket, which the system CPU shows (a clock: it drifts with the machine).

An earlier code whose list reads every open task costs more per completion the more tasks are open: compare runs
with the same ``--tickets``. Nothing is asserted on the figures; the run stops if a request gives an unexpected
answer. Each callgrind run takes a few minutes (valgrind runs the code some 50 times slower).

    .venv/bin/python bench/instructions.py --baseline ../start              # 34e3ef4's code beside today's
    .venv/bin/python bench/instructions.py --baseline ../start --tickets 9000
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import ROOT, expect, sibling, table  # isort: skip

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

load = sibling("load")  # its database preparation, report and accept form

WARM_UP = 20
COLUMNS = ("instructions", "statements", "user_ms", "system_ms")

# Run in the code's checkout: "fill N" starts N faults, "run N" does WARM_UP + N completions. The token, the
# report and the accept form come as arguments, so any code with today's API can run it.
DRIVER = """
import json, resource, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from web import create_app

mode, count, token, report, accept = sys.argv[1], int(sys.argv[2]), sys.argv[3], *map(json.loads, sys.argv[4:6])
client = create_app().test_client()
headers = {"Authorization": "Bearer " + token}

def ok(response, path):
    if response.status_code not in (200, 201):
        sys.exit(f"{path}: {response.status_code} {response.data[:300]!r}")
    return response

def completion():
    tasks = ok(client.get("/api/v1/tasks?limit=20", headers=headers), "list").get_json()["tasks"]
    task = next(t["id"] for t in tasks if t["state"] == "open")
    ok(client.post(f"/api/v1/tasks/{task}/claim", headers=headers), "claim")
    ok(client.post(f"/api/v1/tasks/{task}/complete", json={"data": accept}, headers=headers), "complete")

if mode == "fill":
    body = {"process": "red_fault", "title": "Leased line down", "customer_id": 1, "data": report}
    for _ in range(count):
        ok(client.post("/api/v1/tickets", json=body, headers=headers), "start")
else:
    for _ in range(WARM_UP):
        completion()
    statements = []
    event.listen(Engine, "before_cursor_execute", lambda *_: statements.append(1))
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(count):
        completion()
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"statements": len(statements) / max(count, 1),
                      "user_ms": (after.ru_utime - before.ru_utime) * 1000 / max(count, 1),
                      "system_ms": (after.ru_stime - before.ru_stime) * 1000 / max(count, 1)}))
""".replace("WARM_UP", str(WARM_UP))


def driver(cwd: Path, env: dict, mode: str, count: int, token: str, under: list[str] = ()) -> str:
    """DRIVER's last line of output (a run's figures), run in ``cwd`` (``under`` valgrind, or not)."""
    arguments = [mode, str(count), token, json.dumps(load.REPORT), json.dumps(load.ACCEPT)]
    done = subprocess.run([*under, sys.executable, "-c", DRIVER, *arguments], cwd=cwd, env=env,
                          capture_output=True, text=True)
    expect(done.returncode == 0, f"{cwd} {mode} {count}: {done.stderr[-2000:]}")
    return (done.stdout.strip().splitlines() or [""])[-1]


def instructions(cwd: Path, env: dict, count: int, token: str, folder: Path) -> int:
    """Instructions of one DRIVER run of WARM_UP + count completions, as callgrind counts them."""
    out = folder / f"callgrind.{cwd.name}.{count}"
    driver(cwd, env, "run", count, token, ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"])
    found = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
    expect(found is not None, f"callgrind wrote no totals to {out}")
    return int(found.group(1))


def measure(name: str, cwd: Path, url: str, args, folder: Path) -> dict[str, float]:
    """Per completion of the code in ``cwd``, on a database it made: millions of instructions (callgrind), then
    statements and CPU milliseconds of a plain run."""
    instance = folder / f"instance-{name}"
    instance.mkdir()
    made = load.prepare(url, instance, 1) if cwd == ROOT else load.prepare_baseline(cwd, url, instance, 1)
    token = made[0]
    load.add_staff(url, args.staff)
    env = {**os.environ, "DATABASE_URL": url, "KEYDESK_INSTANCE": str(instance)}
    driver(cwd, env, "fill", args.tickets, token)
    load.analyze(url)
    idle = instructions(cwd, env, 0, token, folder)
    busy = instructions(cwd, env, args.completions, token, folder)
    plain = json.loads(driver(cwd, env, "run", args.plain, token))
    return {"instructions": (busy - idle) / args.completions / 1e6, **plain}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_instructions")
    parser.add_argument("--tickets", type=int, default=1500, help="open faults before the first completion")
    parser.add_argument("--completions", type=int, default=60, help="completions counted under callgrind")
    parser.add_argument("--plain", type=int, default=200, help="completions of the plain run (statements, CPU)")
    parser.add_argument("--staff", type=int, default=300, help="colleagues in the directory, as bench/load.py")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="a checkout of an earlier commit")
    args = parser.parse_args()
    expect(shutil.which("valgrind") is not None, "valgrind is not installed (apt-get install valgrind)")
    needed = 3 * WARM_UP + args.completions + args.plain + 20  # the list shows 20: one of them must be open
    expect(args.tickets >= needed, f"--tickets must be at least {needed}: each run completes tasks")
    codes = [("now", ROOT, args.database)]
    if args.baseline:
        start = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.baseline, check=True,
                               stdout=subprocess.PIPE, text=True).stdout.strip()
        codes.insert(0, (start, args.baseline.resolve(), args.database + "_base"))
    with tempfile.TemporaryDirectory() as folder:
        figures = {name: measure(name, cwd, url, args, Path(folder)) for name, cwd, url in codes}
    print(f"\nPer completion (list, claim, complete through the test client), {args.tickets} open faults at first; "
          f"instructions over {args.completions} completions, the rest over {args.plain}, each after {WARM_UP}:")
    rows = [[name, *(f"{value[key]:.1f}" for key in COLUMNS)] for name, value in figures.items()]
    if args.baseline:
        earlier, now = figures[codes[0][0]], figures["now"]
        rows.append([f"{codes[0][0]} / now", *(f"{earlier[key] / now[key]:.2f}x" for key in COLUMNS)])
    print(table(["code", "M instructions", "statements", "user CPU ms", "system CPU ms"], rows))


if __name__ == "__main__":
    main()
