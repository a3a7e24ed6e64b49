"""Publishing the way a CI job does (the README's GitHub Actions example): a fresh
checkout of the channel with no dist/, the installed `roku-packager` command, credentials
from the environment, exit codes, and the `--format json` summary on stdout."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE = "https://cdn.example.com/riverside/"


@pytest.mark.slow
def test_a_ci_job_reads_exit_codes_and_a_json_summary(example_channel, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    assert not (example_channel / "dist").exists()  # a clean checkout
    exe = Path(sys.executable).parent / "roku-packager"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_PROFILE")}
    secret = env["AWS_SECRET_ACCESS_KEY"]

    def publish(to=f"s3://{name}/ci"):
        return subprocess.run([str(exe), "publish", str(example_channel), "--to", to, "--endpoint-url", s3_endpoint,
                               "--format", "json"], capture_output=True, text=True, env=env, timeout=300)

    r = publish()
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout)
    built = example_channel / "dist"
    feed = (built / "feed.json").read_bytes()
    artwork = sorted((built / "artwork").iterdir())
    assert first["objects"] == {"uploaded": len(artwork) + 2, "unchanged": 0, "deleted": 0}
    assert first["bytes"] == sum(p.stat().st_size for p in artwork) + 2 * len(feed)
    assert first["items"] == {"added": 9, "removed": 0, "changed": 0}
    assert first["feed"] == {"url": BASE + "feed.json", "object": f"s3://{name}/ci/feed.json",
                             "sha256": hashlib.sha256(feed).hexdigest(), "changed": True}
    assert first["history_version"].startswith("feed-") and first["dry_run"] is False
    # What the build had to tell, as build --format json gives it.
    assert all(set(p) == {"kind", "severity", "origin", "field", "message", "code"} for p in first["problems"])
    live = client.get_object(Bucket=name, Key="ci/feed.json")["Body"].read()
    assert hashlib.sha256(live).hexdigest() == first["feed"]["sha256"]

    # The next run of an unchanged channel: nothing uploaded, the same live feed.
    r = publish()
    again = json.loads(r.stdout)
    assert r.returncode == 0 and again["objects"]["uploaded"] == 0 and again["bytes"] == 0
    assert again["items"] == {"added": 0, "removed": 0, "changed": 0} and again["feed"]["changed"] is False
    assert again["feed"]["sha256"] == first["feed"]["sha256"] and again["history_version"] is None

    # One article edited: one item changed, one new feed (+ its history copy).
    article = example_channel / "articles" / "council-budget.md"
    article.write_text(article.read_text().replace("after a late-night session", "after a long night"))
    r = publish()
    edited = json.loads(r.stdout)
    assert r.returncode == 0 and edited["items"] == {"added": 0, "removed": 0, "changed": 1}, r.stdout
    assert edited["objects"]["uploaded"] == 2 and edited["feed"]["changed"] is True

    # A failure is exit 1 with one line on stderr, nothing on stdout, no secret anywhere.
    r = publish(to="s3://no-such-bucket-for-ci/ci")
    assert r.returncode == 1 and r.stdout == "", r
    assert r.stderr.strip().splitlines()[-1].startswith("roku-packager: publish failed: no such bucket"), r.stderr
    assert secret not in r.stderr and "Traceback" not in r.stderr
