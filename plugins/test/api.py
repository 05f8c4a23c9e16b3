# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Tell an API call whose connection failed from one the service refused."""

import re

# What a dropped, reset or refused connection, or a proxy with no backend to
# give the request to, looks like in a result's message (requests,
# keystoneauth and openstacksdk wording).
TRANSIENT = re.compile(
    "|".join(
        [
            "Remote end closed connection",
            "Connection aborted",
            "Connection reset by peer",
            "Connection refused",
            "502 Bad Gateway",
            "503 Service Unavailable",
            r"HttpException: 50[234]",
        ]
    )
)


def transient_api_failure(result):
    """Whether a task result failed because the connection, not the request, failed.

    A failure without a message is an exception the module did not catch, as
    keystoneauth's connection errors are: it counts as transient too. Under
    Mitogen such an exception arrives as "Module result deserialization
    failed" with the traceback in module_stderr, whose last line is the
    exception: that line is searched as well.
    """
    if not isinstance(result, dict) or not result.get("failed"):
        return False
    message = result.get("msg")
    if message is None:
        return True
    stderr = str(result.get("module_stderr") or "").strip().splitlines()
    return any(TRANSIENT.search(text) for text in (str(message), stderr[-1] if stderr else ""))


class TestModule:
    def tests(self):
        return {"transient_api_failure": transient_api_failure}
