"""KeyDesk's entry point: `python run.py` serves the web app and the scheduler on http://127.0.0.1:5000.

`python run.py serve --workers N` is the production server (gunicorn, N processes, no scheduler inside):
run `python run.py worker` processes beside it.
"""

import argparse
import sys
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import inspect, select

from engine import deployments, scheduler
from engine.bundles.contents import Bundle, File
from engine.db import db
from engine.directory import user_admin, users
from engine.errors import EngineError
from engine.forms import files as form_files
from engine.models import User
from web import create_app, instance_path, production

DEFAULT_THREADS = 4  # threads per gunicorn worker: half of them may hold live streams (web/production.py)


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


def serve_production(host: str, port: int, workers: int, threads: int) -> int:
    """gunicorn with `workers` processes of `threads` threads; the schema is upgraded once, before they fork. A wrong
    KEYDESK_PAGE_REQUESTS is refused here, before anything starts, not in every worker as it boots."""
    try:
        page_requests = production.page_requests_at_once()
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    production.prepare_metrics_dir(instance_path())
    app = create_app()
    init_db(app)
    with app.app_context():
        db.engine.dispose()  # the workers build their own pools: no connection may cross the fork
    print(f"KeyDesk on http://{host}:{port} with {workers} web workers; run `run.py worker` for the scheduler")
    production.Server(create_app, host, port, workers, threads, page_requests).run()
    return 0


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
    """Deploy the BPMN files as ``username``, as one bundle with the .dmn decision tables and .form.json forms given:
    a called process before its caller, all or nothing."""
    tables = [name for name in files if name.endswith(".dmn")]
    form_paths = [name for name in files if name.endswith(form_files.SUFFIX)]
    diagrams = [name for name in files if name not in form_paths and name not in tables]
    with app.app_context():
        admin = users.by_username(username)
        try:
            forms, texts = form_files.read_bundle([(Path(f).name, Path(f).read_bytes()) for f in form_paths])
        except EngineError as err:
            return _refused("forms", err)
        bundle = Bundle(_files(diagrams), _files(tables), forms, texts)
        try:
            versions = deployments.deploy_bundle(admin, bundle, comment=comment)
        except EngineError as err:
            return _refused("deploy", err)
        for v in versions:
            print(f"deployed {v.model.key} version {v.version}")
    return 0


def _files(paths: list[str]) -> list[File]:
    return [File(Path(path).name, Path(path).read_bytes()) for path in paths]


def _refused(what: str, err: EngineError) -> int:
    """Print why a deploy was refused, each problem where it is: its file, line and element (or form field)."""
    print(f"{what}: {err.message}", file=sys.stderr)
    for problem in err.details or []:
        where = f"{problem['file']} " if problem.get("file") else ""
        print(f"  {where}line {problem.get('line')}, {problem.get('element_id') or problem.get('field')}: "
              f"{problem['message']} ({problem.get('hint', '')})", file=sys.stderr)
    return 1


def token(app, username: str) -> int:
    with app.app_context():
        try:
            print(users.issue_token(users.by_username(username)))
        except EngineError as err:
            print(err.message, file=sys.stderr)
            return 1
    return 0


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {text!r}")
    return int(text)


def import_file(app, kind: str, file: str, commit: bool, username: str) -> int:
    """A dry run of the file, printed as summary and problems; with ``commit``, then written."""
    from engine.imports import batches

    with app.app_context():
        try:
            actor = users.by_username(username)
            batch = batches.preview(actor, kind, Path(file).name, Path(file).read_bytes())
            print(f"{kind} from {file}: " + ", ".join(f"{n} {action}" for action, n in batch.summary.items()))
            for problem in batch.problems:
                print(f"  row {problem['row']}, {problem['column']}: {problem['message']}", file=sys.stderr)
            if batch.problems or not commit:
                return 1 if batch.problems else 0
            done = batches.commit(actor, batch.id)
        except EngineError as err:
            print(err.message, file=sys.stderr)
            for problem in err.details or []:
                print(f"  row {problem.get('row')}, {problem.get('column')}: {problem['message']}", file=sys.stderr)
            return 1
        print(f"committed import {done['id']}")
        for issued in done["passwords"]:
            print(f"  one-time password for {issued['username']}: {issued['password']}")
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


def backup(app, file: str) -> int:
    """Write the database and the attachment files to one archive FILE (see engine/backup)."""
    from engine.backup import backup as write_backup

    with app.app_context():
        try:
            manifest = write_backup(Path(file))
        except EngineError as err:
            return _failed(err)
    print(f"backup of the {manifest['database']} database (schema {manifest['revision']}) and "
          f"{manifest['attachments']} attachment files written to {file}")
    return 0


def restore(app, file: str) -> int:
    """Load an archive FILE into an empty database and the attachment folder; refuses a non-empty database."""
    from engine.backup import restore as load_backup

    with app.app_context():
        try:
            found = load_backup(Path(file))
        except EngineError as err:
            return _failed(err)
    print(f"restored {found['tickets']} tickets and {found['attachments']} attachment files from {file}")
    for name in found["missing"]:
        print(f"  attachment file {name} is not in the backup (附件文件不在备份中)", file=sys.stderr)
    return 1 if found["missing"] else 0


def migrate_signed_contracts(app, username: str, apply: bool) -> int:
    """List the signed contracts' tickets waiting at contract_approval's removed expiry timer; with ``apply``, move
    each to the current version's filing step (engine/contracts/old_reminders.py)."""
    from engine.contracts import old_reminders

    with app.app_context():
        try:
            report = old_reminders.move(users.by_username(username), apply=apply)
        except EngineError as err:
            return _failed(err)
    for entry in report["waiting"]:
        print(f"{entry['number']} (version {entry['version']}, customer {entry['customer']}, contract "
              f"{entry['contract_no']}): signed, waits at the old expiry reminder (已签署，停在旧版本的到期提醒)")
    for entry in report["moved"]:
        print(f"  {entry['number']}: moved to version {report['to']}, contract filed, ticket closed "
              f"(已迁移至版本 {report['to']}，合同已归档，工单已结案)")
    for entry in report["refused"]:
        for reason in entry["reasons"]:
            print(f"  {entry['number']}: not moved: {reason['reason']} (未迁移：{reason.get('reason_zh', '')})",
                  file=sys.stderr)
    if not apply:
        print(f"dry run: {len(report['waiting'])} tickets, nothing changed; add --apply to move them to version "
              f"{report['to']} (试运行：未做更改；加 --apply 执行迁移)")
    return 1 if report["refused"] else 0


def _failed(err: EngineError) -> int:
    print(err.message, file=sys.stderr)
    if err.message_zh:
        print(err.message_zh, file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run.py", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve_cmd = commands.add_parser("serve", help="serve the web app and the scheduler (the default)")
    serve_cmd.add_argument("--host", default=argparse.SUPPRESS)
    serve_cmd.add_argument("--port", type=int, default=argparse.SUPPRESS)
    serve_cmd.add_argument("--no-scheduler", action="store_true", help="web only; run `worker` processes instead")
    serve_cmd.add_argument("--workers", type=_at_least_one, default=None, metavar="N",
                           help="production: gunicorn with N web processes and no scheduler (run `worker`)")
    serve_cmd.add_argument("--threads", type=_at_least_one, default=DEFAULT_THREADS, metavar="T",
                           help=f"threads per web process with --workers (default {DEFAULT_THREADS})")
    serve_cmd.add_argument("--demo", action="store_true", help="load the demo data when the database is new")
    commands.add_parser("worker", help="run the scheduler alone (timers, SLA clocks)")
    commands.add_parser("init-db", help="create or upgrade the database schema")
    commands.add_parser("demo", help="load the demo users, customers and shipped processes")
    deploy_cmd = commands.add_parser("deploy", help="deploy BPMN files as new process versions in one bundle, "
                                                    "with the .dmn decision tables and .form.json forms given")
    deploy_cmd.add_argument("files", nargs="+", metavar="FILE")
    deploy_cmd.add_argument("--comment", default="deployed from the command line")
    deploy_cmd.add_argument("--as", dest="username", default="admin", help="the deploying user (default: admin)")
    token_cmd = commands.add_parser("token", help="print a new API token for a user")
    token_cmd.add_argument("username")
    import_cmd = commands.add_parser("import", help="check a CSV or XLSX file of branches, users, customers or "
                                                    "contracts (a dry run), and with --commit write it")
    import_cmd.add_argument("kind", choices=("branches", "users", "customers", "contracts"))
    import_cmd.add_argument("file", metavar="FILE")
    import_cmd.add_argument("--commit", action="store_true", help="write the rows when no row has a problem")
    import_cmd.add_argument("--user", default="admin", help="who imports (their branches bound it); default admin")
    admin_cmd = commands.add_parser("create-admin", help="create an admin account and print its one-time password")
    admin_cmd.add_argument("username")
    backup_cmd = commands.add_parser("backup", help="write the database and the attachments to one archive FILE")
    backup_cmd.add_argument("file", metavar="FILE")
    restore_cmd = commands.add_parser("restore", help="load a backup FILE into a new, empty database (never over "
                                                      "data)")
    restore_cmd.add_argument("file", metavar="FILE")
    signed_cmd = commands.add_parser("migrate-signed-contracts",
                                     help="list the tickets of signed contracts waiting at contract_approval's "
                                          "removed expiry timer; with --apply, file each contract and close its "
                                          "ticket on the current version")
    signed_cmd.add_argument("--as", dest="username", required=True, help="who moves them (a supervisor or admin)")
    signed_cmd.add_argument("--apply", action="store_true", help="move them (default: a dry run that lists them)")
    args = parser.parse_args(argv)
    if args.command == "serve" and args.workers:
        return serve_production(args.host, args.port, args.workers, args.threads)

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
        case "import":
            return import_file(app, args.kind, args.file, args.commit, args.user)
        case "create-admin":
            return create_admin(app, args.username)
        case "backup":
            return backup(app, args.file)
        case "restore":
            return restore(app, args.file)
        case "migrate-signed-contracts":
            return migrate_signed_contracts(app, args.username, args.apply)
    return 0


if __name__ == "__main__":
    sys.exit(main())
