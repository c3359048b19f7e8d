"""Every route of the OpenAPI spec, fed what schemathesis generates from it (huge integers, far
dates, NUL bytes, long strings, odd JSON) as a city-wide admin, on both databases: the answer may
be a refusal, never a server error, and its status is one the spec documents for that route."""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import status_code_conformance

from api.app import create_app
from urbanwatch.config import parse_config

from ..helpers import add_camera, add_event, add_user, bearer

EXAMPLES = 40  # per route and database


@pytest.fixture
def fuzz_target(db_url, db, tmp_path):
    zone = add_camera(db)
    for i in range(3):
        add_event(db, zone_id=zone, minutes=i)
    token = add_user(db, "admin", "admin", city_wide=True)
    app = create_app(parse_config({"storage": {"database_url": db_url, "media_dir": str(tmp_path / "media")}},
                                  Path("."), {}))
    yield app, bearer(token)
    app.state.db.dispose()


def server_errors(app, headers, examples: int) -> tuple[list[str], list[str]]:
    """Route by route: each generated request's answer; what was a server error, and what answered
    a status the spec does not document."""
    errors: list[str] = []
    undocumented: list[str] = []
    for result in schemathesis.openapi.from_asgi("/openapi.json", app).get_all_operations():
        operation = result.ok()

        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            try:
                response = case.call(headers=headers)
                status = response.status_code
            except Exception as exc:  # noqa: BLE001 - the in-process server raised: a 500 in production
                status = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            if not isinstance(status, int) or status >= 500:
                errors.append(f"{case.operation.label} {case.path_parameters} {case.query} -> {status}")
                return
            try:
                case.validate_response(response, checks=[status_code_conformance])
            except Exception:  # noqa: BLE001 - schemathesis reports a failed check by raising
                undocumented.append(f"{case.operation.label} -> {status}")

        call()
    return errors, sorted(set(undocumented))


def test_no_input_makes_a_server_error_or_an_undocumented_answer(fuzz_target):
    app, headers = fuzz_target
    errors, undocumented = server_errors(app, headers, EXAMPLES)
    assert errors == []
    assert undocumented == []
