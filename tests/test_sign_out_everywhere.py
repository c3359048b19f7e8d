"""Credentials end everywhere at once: signing out, disabling an account and a new password close
the open WebSockets made with them within a second (through the feed, so on every API server), and
a new password ends every older session and token. Real server, real sockets, both databases."""

import json
import subprocess
import sys
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from models.users import MAX_PASSWORD

from .conftest import ROOT
from .helpers import PASSWORD, add_camera, add_event, add_user, bearer
from .live_server import LiveServer
from .test_auth_review import app  # noqa: F401 - the app fixture, on both databases


def closed_within(ws, seconds: float) -> int:
    """Reads until the server closes the socket; its close code."""
    deadline = time.monotonic() + seconds
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
    return closed.value.rcvd.code


def still_open(ws) -> bool:
    """Nothing more than silence for a moment: not closed."""
    try:
        ws.recv(timeout=0.3)
    except TimeoutError:
        return True
    except ConnectionClosed:
        return False
    return True


def login(srv, username) -> str:
    r = httpx.post(f"{srv.url}/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return f"uw_session={r.cookies.get('uw_session')}"


def test_disable_logout_and_new_password_close_open_sockets(app, db, tmp_path):  # noqa: F811
    add_camera(db)
    admin = add_user(db, "admin", "admin", city_wide=True)
    op_token = add_user(db, "op1", "operator")
    add_user(db, "op2", "operator")
    with LiveServer(app) as srv:
        # signing out closes the sockets of that browser session, not the user's other ones
        cookie_a, cookie_b = login(srv, "op2"), login(srv, "op2")
        with connect(srv.ws_url + "/ws/events", additional_headers={"Cookie": cookie_a}, origin=srv.url) as wa, \
             connect(srv.ws_url + "/ws/events", additional_headers={"Cookie": cookie_b}, origin=srv.url) as wb:
            me = httpx.get(f"{srv.url}/api/auth/me", headers={"Cookie": cookie_a}).json()
            started = time.monotonic()
            httpx.post(f"{srv.url}/api/auth/logout", headers={"Cookie": cookie_a, "X-CSRF-Token": me["csrf_token"]})
            assert closed_within(wa, 1.0) == 4401 and time.monotonic() - started < 1.0
            assert still_open(wb)

        # disabling an account closes its sockets, token or cookie
        with connect(srv.ws_url + "/ws/events", additional_headers=bearer(op_token)) as ws:
            users = httpx.get(f"{srv.url}/api/users", headers=bearer(admin)).json()
            op1 = next(u for u in users if u["username"] == "op1")
            started = time.monotonic()
            httpx.patch(f"{srv.url}/api/users/{op1['id']}", json={"active": False}, headers=bearer(admin))
            assert closed_within(ws, 1.0) == 4401 and time.monotonic() - started < 1.0
        assert httpx.get(f"{srv.url}/api/events", headers=bearer(op_token)).status_code == 401

        # a new password (set on the command line, another process) ends every session and token
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"storage: {{database_url: '{db.url.render_as_string(hide_password=False)}'}}\n")
        cookie = login(srv, "admin")
        with connect(srv.ws_url + "/ws/events", additional_headers=bearer(admin)) as by_token, \
             connect(srv.ws_url + "/ws/events", additional_headers={"Cookie": cookie}, origin=srv.url) as by_cookie:
            new = "a brand new passphrase"
            done = subprocess.run([sys.executable, "-m", "urbanwatch", "users", "password", "admin", "--password-stdin",
                                   "-c", str(cfg)], input=new + "\n", capture_output=True, text=True, cwd=ROOT,
                                  timeout=120)
            assert done.returncode == 0, done.stderr
            assert closed_within(by_token, 1.0) == 4401 and closed_within(by_cookie, 1.0) == 4401
        assert httpx.get(f"{srv.url}/api/users", headers=bearer(admin)).status_code == 401
        assert httpx.get(f"{srv.url}/api/auth/me", headers={"Cookie": cookie}).status_code == 401
        r = httpx.post(f"{srv.url}/api/auth/login", json={"username": "admin", "password": new})
        assert r.status_code == 200
        # a new sign-in that replays the feed from the start, revocations included, stays open
        cookie = f"uw_session={r.cookies.get('uw_session')}"
        with connect(srv.ws_url + "/ws/events?since=0", additional_headers={"Cookie": cookie}, origin=srv.url) as ws:
            eid = add_event(db)
            got = []
            while eid not in got:  # the backlog, then the new event; a close would raise here
                got.append(json.loads(ws.recv(timeout=5)).get("event_id"))


def test_a_password_the_sign_in_form_cannot_take_is_refused(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("storage: {data_dir: data}\n")
    long = "x" * (MAX_PASSWORD + 1)
    out = subprocess.run([sys.executable, "-m", "urbanwatch", "users", "add", "lan", "--area", "Bến Thành",
                          "--password-stdin", "-c", str(cfg)], input=long + "\n", capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 1 and f"at most {MAX_PASSWORD} characters" in out.stderr
