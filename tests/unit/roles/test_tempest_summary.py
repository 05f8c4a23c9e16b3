"""roles/tempest/files/tempest_summary.py on subunit v2 streams."""

import datetime
import io
import json
import subprocess
import sys
from pathlib import Path

import subunit

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "roles" / "tempest" / "files" / "tempest_summary.py"
FIXTURES = ROOT / "tests" / "unit" / "fixtures" / "tempest"
T0 = datetime.datetime(2026, 12, 4, 14, 0, 0, tzinfo=datetime.UTC)


def stream(tests):
    """A subunit v2 stream of (id, status, {detail: text}, seconds) as stestr writes them."""
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    for test_id, status, details, seconds in tests:
        writer.status(test_id=test_id, test_status="inprogress", timestamp=T0)
        for name, text in details.items():
            writer.status(
                test_id=test_id,
                file_name=name,
                file_bytes=text.encode(),
                mime_type="text/plain;charset=utf8",
                eof=True,
                timestamp=T0,
            )
        end = T0 + datetime.timedelta(seconds=seconds)
        writer.status(test_id=test_id, test_status=status, timestamp=end)
    return out.getvalue()


def summarise(tmp_path, data):
    source = tmp_path / "run.subunit"
    source.write_bytes(data)
    target = tmp_path / "summary.json"
    proc = subprocess.run(
        [sys.executable, SCRIPT, source, target], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout), json.loads(target.read_text())


def test_counts_failures_and_skips_with_their_reasons(tmp_path):
    data = stream(
        [
            ("tempest.api.compute.test_a.T.test_ok[id-1,smoke]", "success", {}, 3),
            ("tempest.api.compute.test_a.T.test_bad[id-2]", "fail", {"traceback": "boom"}, 5),
            (
                "tempest.api.network.test_b.T.test_fip[id-3]",
                "skip",
                {"reason": "public network is not available"},
                0,
            ),
            # A class fixture that failed: its tests never ran.
            ("setUpClass (tempest.api.image.v2.test_c.C)", "fail", {"traceback": "no image"}, 1),
            ("tempest.api.identity.test_d.T.test_x[id-4]", "xfail", {}, 2),
        ]
    )
    counts, summary = summarise(tmp_path, data)
    assert counts == {
        "passed": 2,
        "failed": 2,
        "skipped": 1,
        "seconds": 5.0,
        "failures": [
            {"id": "tempest.api.compute.test_a.T.test_bad[id-2]"},
            {"id": "setUpClass (tempest.api.image.v2.test_c.C)"},
        ],
    }
    assert summary["failures"][0]["traceback"] == "boom"
    assert summary["skips"] == [
        {
            "id": "tempest.api.network.test_b.T.test_fip[id-3]",
            "reason": "public network is not available",
        }
    ]


def test_an_empty_stream_counts_nothing(tmp_path):
    counts, _ = summarise(tmp_path, b"")
    assert counts == {"passed": 0, "failed": 0, "skipped": 0, "seconds": 0.0, "failures": []}


def test_a_recorded_run(tmp_path):
    """22 tests of the first run on the aio lab (fixtures/tempest/PROVENANCE.md)."""
    counts, summary = summarise(tmp_path, (FIXTURES / "aio-lab-excerpt.subunit").read_bytes())
    assert (counts["passed"], counts["failed"], counts["skipped"]) == (8, 6, 8)
    assert counts["seconds"] == 783.0
    failed = {f["id"].split("[")[0] for f in counts["failures"]}
    assert "setUpClass (tempest.api.compute.admin.test_migrations.MigrationsAdminTest)" in failed
    tracebacks = {f["id"].split("[")[0]: f["traceback"] for f in summary["failures"]}
    assert (
        'No "manager" role found'
        in tracebacks["setUpClass (tempest.api.compute.admin.test_migrations.MigrationsAdminTest)"]
    )
    assert all(skip["reason"] for skip in summary["skips"])
