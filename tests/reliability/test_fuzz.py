"""API fuzzing from the app's own OpenAPI document, as the office admin and as a
department user: no answer is a 5xx and every answer fits its documented schema.

Each operation gets DUBAN_FUZZ_EXAMPLES generated requests (default 10, enough
for CI; raise it for a longer hunt). Every failing operation is reported, not
only the first.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = int(os.environ.get("DUBAN_FUZZ_EXAMPLES", "10"))


def _fuzz(app, headers: dict) -> dict[str, str]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20  # the whole API, not an empty document
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as exc:  # noqa: BLE001 (collected, reported together below)
            failures[operation.label] = str(exc)[:2000]
    return failures


@pytest.mark.parametrize("username", ["city_admin", "ip_user"])
def test_no_server_error_and_every_answer_fits_its_schema(app, world, username):
    failures = _fuzz(app, world.headers(username))
    assert not failures, "\n\n".join(f"{label}:\n{detail}" for label, detail in failures.items())
