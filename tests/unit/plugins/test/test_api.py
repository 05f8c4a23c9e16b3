"""The transient_api_failure test: which failed API calls verify retries."""

import json
from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.test import api
from ansible_collections.dozencloud.cloud.plugins.test.api import transient_api_failure


@pytest.mark.parametrize(
    "msg",
    [
        "Task failed: Module failed: ('Connection aborted.', "
        "RemoteDisconnected('Remote end closed connection without response'))",
        "Unable to establish connection to http://198.18.0.10:5000/v3/auth/tokens: "
        "[Errno 111] Connection refused",
        "[Errno 104] Connection reset by peer",
        "HttpException: 503: Server Error for url: http://198.18.0.10:8774/v2.1/servers",
        "HttpException: 504: Server Error for url: http://198.18.0.10:9292/v2/images",
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        "<html><body><h1>503 Service Unavailable</h1></body></html>",
    ],
)
def test_connection_failures_are_transient(msg):
    assert transient_api_failure({"failed": True, "msg": msg}) is True


def test_a_failure_without_a_message_is_transient():
    assert transient_api_failure({"failed": True, "exception": "ConnectFailure"}) is True


def test_an_uncaught_connection_error_under_mitogen_is_transient():
    """Recorded from verify's server_info on the aio lab under mitogen_linear (2026-12-04)."""
    path = Path(__file__).resolve().parents[2] / "fixtures" / "api"
    result = json.loads((path / "mitogen-server-info-connect-failure.json").read_text())
    assert result["msg"].startswith("Module result deserialization failed")
    assert transient_api_failure(result) is True
    other = dict(result, module_stderr="Traceback ...\nKeyError: 'compute_host'\n")
    assert transient_api_failure(other) is False


@pytest.mark.parametrize(
    "result",
    [
        {"failed": True, "msg": "No valid host was found. There are not enough hosts available."},
        {"failed": True, "msg": "HttpException: 500: Server Error for url: http://x/v2.1/servers"},
        {"failed": True, "msg": "Image dozen-verify-aarch64 could not be found"},
        {"failed": False, "changed": True},
        {"changed": False},
        None,
    ],
)
def test_other_results_are_not(result):
    assert transient_api_failure(result) is False


def test_the_collection_offers_it():
    assert api.TestModule().tests() == {"transient_api_failure": transient_api_failure}
