"""Sign-in limits that hold under parallel attempts, on a real server and both databases, and that a
stranger cannot use to lock an admin out at their own desk; the client address believed only from
configured proxies."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from urbanwatch.config import parse_config

from .helpers import PASSWORD, add_user, bearer
from .live_server import LiveServer


@pytest.fixture
def server(db_url, tmp_path):
    settings = parse_config({"server": {"trusted_proxies": ["127.0.0.1"]},
                             "storage": {"database_url": db_url, "media_dir": str(tmp_path / "media")}}, Path("."), {})
    app = create_app(settings, poll_s=0.05)
    with LiveServer(app) as srv:
        yield srv
    app.state.db.dispose()


def attempt(srv, username, password, address) -> int:
    r = httpx.post(f"{srv.url}/api/auth/login", json={"username": username, "password": password},
                   headers={"X-Forwarded-For": address}, timeout=60)
    return r.status_code


def in_parallel(srv, username, password, addresses) -> list[int]:
    with ThreadPoolExecutor(len(addresses)) as pool:
        return list(pool.map(lambda a: attempt(srv, username, password, a), addresses))


def test_parallel_guesses_cannot_pass_the_limits(server, db):
    add_user(db, "op1", "operator")
    add_user(db, "sup1", "supervisor")
    root = bearer(add_user(db, "root", "admin", city_wide=True))
    # 30 at once from one address: exactly 5 are checked
    codes = in_parallel(server, "op1", "wrong password", ["10.0.0.1"] * 30)
    assert (codes.count(401), codes.count(429)) == (5, 25)
    # the account's own desk signs in first, then 30 guesses spread over 10 addresses: 20 checked
    assert attempt(server, "sup1", PASSWORD, "10.9.9.9") == 200
    codes = in_parallel(server, "sup1", "wrong password", [f"10.1.0.{i % 10}" for i in range(30)])
    assert (codes.count(401), codes.count(429)) == (20, 10)
    # the stranger's guesses do not lock the account out at the address it signs in from
    assert attempt(server, "sup1", PASSWORD, "10.9.9.9") == 200
    assert attempt(server, "sup1", PASSWORD, "10.2.2.2") == 429  # elsewhere: the cap holds
    # until an admin clears it
    users = httpx.get(f"{server.url}/api/users", headers=root).json()
    sup1 = next(u for u in users if u["username"] == "sup1")
    r = httpx.post(f"{server.url}/api/users/{sup1['id']}/unlock", headers=root)
    assert r.status_code == 200 and r.json()["cleared"] == 20
    assert attempt(server, "sup1", PASSWORD, "10.2.2.2") == 200


def test_the_client_address_comes_from_trusted_proxies_only(db_url, tmp_path, db):
    """Without configured proxies a local client could choose its recorded address (and dodge the
    per-address limit) with X-Forwarded-For."""
    add_user(db, "op1", "operator")
    settings = parse_config({"storage": {"database_url": db_url, "media_dir": str(tmp_path / "media")}},
                            Path("."), {})
    app = create_app(settings, poll_s=0.05)
    with LiveServer(app) as srv:
        codes = [attempt(srv, "op1", "wrong password", f"10.3.0.{i}") for i in range(7)]
        assert codes == [401] * 5 + [429] * 2  # all counted against 127.0.0.1, whatever the header says
    app.state.db.dispose()
    with pytest.raises(Exception, match="'proxy.example' is not an IP address or network"):
        parse_config({"server": {"trusted_proxies": ["proxy.example"]}}, Path("."), {})


def test_the_password_check_holds_no_database_lock(tmp_path, monkeypatch):
    """On SQLite a sign-in held the write lock through the ~50 ms argon2 check: 40 failed sign-ins
    in parallel stalled every review and camera health write for seconds. While the password is
    being checked, another connection must get the write lock at once."""
    import sqlite3

    import models.users as users
    from models import Database

    db_file = tmp_path / "urbanwatch.db"
    db = Database(f"sqlite:///{db_file}")
    db.upgrade()
    add_user(db, "op1", "operator")
    settings = parse_config({"storage": {"database_url": f"sqlite:///{db_file}",
                                         "media_dir": str(tmp_path / "media")}}, Path("."), {})
    app = create_app(settings, db)
    lock_free = []
    real_verify = users.verify_password

    def verify_while_writing(stored, password):
        other = sqlite3.connect(db_file, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the write lock, without waiting
            other.execute("ROLLBACK")
            lock_free.append(True)
        except sqlite3.OperationalError:
            lock_free.append(False)
        finally:
            other.close()
        return real_verify(stored, password)

    monkeypatch.setattr(users, "verify_password", verify_while_writing)
    with LiveServer(app) as srv:
        assert attempt(srv, "op1", "wrong password", "127.0.0.1") == 401
        assert attempt(srv, "op1", PASSWORD, "127.0.0.1") == 200
    db.dispose()
    assert lock_free == [True, True]
