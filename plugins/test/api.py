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
    keystoneauth's connection errors are: it counts as transient too.
    """
    if not isinstance(result, dict) or not result.get("failed"):
        return False
    message = result.get("msg")
    return message is None or bool(TRANSIENT.search(str(message)))


class TestModule:
    def tests(self):
        return {"transient_api_failure": transient_api_failure}
