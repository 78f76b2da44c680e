"""What the benchmarks share: the import path, a fresh database, checks, percentiles, tables, profiles.

Imported first by each benchmark (``import common``): run as a script, Python puts bench/ first on the
path, where ``bench/engine.py`` would shadow the ``engine`` package, so this module puts the project
root there instead.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import importlib.util  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine import demo  # noqa: E402
from engine.db import db  # noqa: E402
from web import create_app  # noqa: E402


class CheckFailed(RuntimeError):
    """The benchmark did not do what it was meant to: its figures would mean nothing."""


def sibling(name: str):
    """Another benchmark of bench/ as a module (bench/ is not on the import path: bench/engine.py would shadow the
    engine package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)


def fresh_app(url: str):
    """An app on an emptied database with the demo data (users, customers, the shipped processes)."""
    parsed = make_url(url)
    postgres = parsed.get_backend_name() == "postgresql"
    if postgres:
        server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}):
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        server.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if postgres:
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        else:
            db.drop_all()
        db.create_all()
        demo.load()
    return app


def pct(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method); the value itself for a single one."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:  # first column left-aligned, figures right-aligned
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *map(fmt, rows)])


def print_profile(profiler, title: str) -> None:
    """The 20 functions of engine/ and SpiffWorkflow with the highest cumulative time."""
    print(f"\n{title}: the 20 functions of engine/ and SpiffWorkflow with the highest cumulative time "
          "(SQLAlchemy's own frames are left out of the list)")
    only_ours = re.escape(str(ROOT / "engine")) + "/|SpiffWorkflow/"
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(only_ours, 20)
