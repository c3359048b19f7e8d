"""Engine and sessions. SQLite runs in WAL mode with write transactions that take the lock up
front (BEGIN IMMEDIATE), so several worker processes and the API share one file safely."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# A database out of reach (a cut link, not a refused connection) is noticed in seconds, not after
# the kernel's 15 minutes of retransmissions: a worker must renew its camera leases or stop in time.
# A machine cut off in the middle of a transaction leaves its row locks on the server until the
# server notices (hours, with its default keepalives): the server ends such a session of ours after
# 10 s idle in its transaction, and our writes wait at most 5 s for a lock (then they are retried),
# so the machine that takes its cameras over is not held up behind it.
PG_LINK = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
           "keepalives_count": 2, "tcp_user_timeout": 4000,
           "options": "-c idle_in_transaction_session_timeout=10000 -c lock_timeout=5000"}


def _sqlite_engine(url) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that later writes can fail with "database is locked" when
        # another process wrote meanwhile; taking the write lock first makes writers queue.
        immediate = conn.get_execution_options().get("uw_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


STARTUP_LOCK_KEY = 0x75726273  # "urbs"


def serialise_startup(conn) -> None:
    """On PostgreSQL, holds a transaction-level advisory lock: nodes that start at once migrate and
    import the configuration's cameras one after the other, instead of racing to create the same rows."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL lock_timeout = 0"))  # another node's migration may take a while
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": STARTUP_LOCK_KEY})


class Database:
    def __init__(self, url: str):
        self.url = make_url(url)
        if self.url.get_backend_name() == "sqlite":
            self.engine = _sqlite_engine(self.url)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, connect_args=PG_LINK)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(uw_write=True), expire_on_commit=False)

    def session(self) -> Session:
        """A session for reading (commits are allowed but take no lock up front)."""
        return self._read()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on error."""
        with self._write() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Brings the schema to the newest migration."""
        from alembic import command

        with self.engine.begin() as conn:
            serialise_startup(conn)  # machines starting together: one migrates, the others then find it done
            command.upgrade(self.alembic_config(conn), "head")

    def alembic_config(self, connection=None):
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = connection
        return cfg

    def schema_current(self) -> tuple[str | None, str]:
        """(the database's migration, the newest one this code has)."""
        from alembic.migration import MigrationContext
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision(), head

    def dispose(self) -> None:
        self.engine.dispose()
