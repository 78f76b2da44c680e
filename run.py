"""KeyDesk's entry point: `python run.py` serves the web app and the scheduler on http://127.0.0.1:5000."""

import argparse
import sys
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import inspect, select

from engine import deployments, scheduler
from engine.db import db
from engine.directory import user_admin, users
from engine.errors import EngineError
from engine.models import User
from web import create_app


def init_db(app) -> None:
    """Create or upgrade the schema to the newest migration."""
    with app.app_context():
        upgrade()


def load_demo(app) -> None:
    from engine import demo

    with app.app_context():
        for line in demo.load():
            print(f"added {line}")


def serve(app, host: str, port: int, with_scheduler: bool = True, demo: bool = False) -> None:
    """Serve; with ``demo``, a database that did not exist yet gets the demo data (never a live one)."""
    with app.app_context():
        first_start = not inspect(db.engine).has_table("users")
    init_db(app)
    if demo and first_start:
        load_demo(app)
    if with_scheduler:
        scheduler.start(app)
    with app.app_context():
        nobody = db.session.scalar(select(User.id).limit(1)) is None
    if nobody:
        print("The database has no users yet: create the first admin with `python run.py create-admin USERNAME`")
    print(f"KeyDesk on http://{host}:{port}" + ("  (demo users: agent, manager, tech, supervisor, admin; password demo)"
                                               if demo else ""))
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def worker(app) -> None:
    """The scheduler alone: fires timers and SLA points. On PostgreSQL, run as many as you like."""
    init_db(app)
    running = scheduler.start(app)
    print(f"KeyDesk worker {scheduler.WORKER} running; Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        running.shutdown()


def deploy(app, files: list[str], comment: str, username: str = "admin") -> int:
    """Deploy each BPMN file as ``username``; the .dmn files named with them are its decision tables."""
    decisions = [Path(name).read_bytes() for name in files if name.endswith(".dmn")]
    with app.app_context():
        admin = users.by_username(username)
        for name in (name for name in files if not name.endswith(".dmn")):
            try:
                versions = deployments.deploy(admin, Path(name).read_bytes(), decisions, comment=comment)
            except EngineError as err:
                print(f"{name}: {err.message}", file=sys.stderr)
                for problem in err.details or []:
                    print(f"  line {problem['line']}, {problem['element_id']}: {problem['message']}"
                          f" ({problem.get('hint', '')})", file=sys.stderr)
                return 1
            for v in versions:
                print(f"{name}: deployed {v.model.key} version {v.version}")
    return 0


def token(app, username: str) -> int:
    with app.app_context():
        try:
            print(users.issue_token(users.by_username(username)))
        except EngineError as err:
            print(err.message, file=sys.stderr)
            return 1
    return 0


def create_admin(app, username: str) -> int:
    """The first admin (at headquarters, created if the database has no branch yet) with a one-time password."""
    init_db(app)
    with app.app_context():
        try:
            user, password = user_admin.create_first_admin(username)
        except EngineError as err:
            print(err.message, file=sys.stderr)
            for problem in err.details or []:
                print(f"  {problem['field']}: {problem['message']}", file=sys.stderr)
            return 1
        print(f"admin {user.username} created at branch {user.branch.code}; one-time password (change it at the "
              f"first sign-in): {password}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run.py", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve_cmd = commands.add_parser("serve", help="serve the web app and the scheduler (the default)")
    serve_cmd.add_argument("--host", default=argparse.SUPPRESS)
    serve_cmd.add_argument("--port", type=int, default=argparse.SUPPRESS)
    serve_cmd.add_argument("--no-scheduler", action="store_true", help="web only; run `worker` processes instead")
    serve_cmd.add_argument("--demo", action="store_true", help="load the demo data when the database is new")
    commands.add_parser("worker", help="run the scheduler alone (timers, SLA clocks)")
    commands.add_parser("init-db", help="create or upgrade the database schema")
    commands.add_parser("demo", help="load the demo users, customers and shipped processes")
    deploy_cmd = commands.add_parser("deploy", help="deploy BPMN files (with the .dmn decision tables given) "
                                                    "as new process versions")
    deploy_cmd.add_argument("files", nargs="+", metavar="FILE")
    deploy_cmd.add_argument("--comment", default="deployed from the command line")
    deploy_cmd.add_argument("--as", dest="username", default="admin", help="the deploying user (default: admin)")
    token_cmd = commands.add_parser("token", help="print a new API token for a user")
    token_cmd.add_argument("username")
    admin_cmd = commands.add_parser("create-admin", help="create an admin account and print its one-time password")
    admin_cmd.add_argument("username")
    args = parser.parse_args(argv)

    app = create_app()
    match args.command:
        case None | "serve":
            serve(app, args.host, args.port, with_scheduler=not getattr(args, "no_scheduler", False),
                  demo=getattr(args, "demo", False))
        case "worker":
            worker(app)
        case "init-db":
            init_db(app)
        case "demo":
            init_db(app)
            load_demo(app)
        case "deploy":
            return deploy(app, args.files, args.comment, args.username)
        case "token":
            return token(app, args.username)
        case "create-admin":
            return create_admin(app, args.username)
    return 0


if __name__ == "__main__":
    sys.exit(main())
