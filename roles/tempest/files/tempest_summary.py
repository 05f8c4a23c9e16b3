#!/usr/bin/env python3
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Count a Tempest run's results from its subunit v2 stream.

Run with Tempest's own venv (python-subunit and testtools come with it):
    tempest_summary.py RUN.subunit SUMMARY.json
Writes SUMMARY.json (counts, every failure with the end of its traceback,
every skip with its reason) and prints the counts as one JSON line.
A class fixture that failed (setUpClass) counts as a failure.
"""

import json
import sys
from datetime import timedelta

import subunit
import testtools

PASSED = {"success", "xfail"}
FAILED = {"fail", "uxsuccess"}


def text_of(details, name):
    content = details.get(name)
    if content is None:
        return ""
    return b"".join(bytes(part) for part in content.iter_bytes()).decode(errors="replace")


def main(stream_path, summary_path):
    tests = []
    with open(stream_path, "rb") as stream:
        case = subunit.ByteStreamToStreamResult(stream, non_subunit_name="stdout")
        result = testtools.StreamToDict(tests.append)
        result.startTestRun()
        try:
            case.run(result)
        finally:
            result.stopTestRun()
    summary = {"passed": 0, "failed": 0, "skipped": 0, "failures": [], "skips": []}
    started, stopped = None, None
    for test in tests:
        status = test["status"]
        times = [t for t in test.get("timestamps", []) if t is not None]
        if times:
            started = min([started, *times]) if started else min(times)
            stopped = max([stopped, *times]) if stopped else max(times)
        if status in PASSED:
            summary["passed"] += 1
        elif status in FAILED:
            summary["failed"] += 1
            trace = text_of(test["details"], "traceback")
            summary["failures"].append({"id": test["id"], "traceback": trace[-3000:]})
        elif status == "skip":
            summary["skipped"] += 1
            reason = text_of(test["details"], "reason").strip()
            summary["skips"].append({"id": test["id"], "reason": reason})
    elapsed = (stopped - started) if started and stopped else timedelta(0)
    summary["seconds"] = round(elapsed.total_seconds(), 1)
    with open(summary_path, "w") as out:
        json.dump(summary, out, indent=1, sort_keys=True)
    counts = {k: summary[k] for k in ("passed", "failed", "skipped", "seconds")}
    counts["failures"] = [{"id": f["id"]} for f in summary["failures"]]
    print(json.dumps(counts))


if __name__ == "__main__":
    main(*sys.argv[1:3])
