"""One cluster per test module (bot/cluster/topology.py): 2 Rasa replicas, 2 action servers, the
gateway (chat only), PostgreSQL, Redis and HAProxy, on fresh databases in a temporary directory."""

import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Optional

import pytest

from bot.build import model_path
from bot.processes import REPO_ROOT

PHONE = "13800138000"  # the demo customer with the savings card ending 1234 (actions/bank/seed.py)
REST_TOKEN = "cluster-tests-rest-token"
NEEDED = ("redis-server", "haproxy", "runuser")


def missing_packages() -> Optional[str]:
    from bot.cluster.postgres import PG_ROOT

    missing = [name for name in NEEDED if shutil.which(name) is None]
    if not list(PG_ROOT.glob("*/bin/pg_ctl")):
        missing.append("postgresql")
    return ", ".join(missing) or None


@pytest.fixture(scope="module")
def cluster():
    from bot.cluster.topology import Cluster, Options

    missing = missing_packages()
    if missing:
        pytest.skip(f"the cluster tier needs Debian packages not installed here: {missing} (make cluster-packages)")
    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train`")
    # Not pytest's tmp_path: its parents are closed to other users, and PostgreSQL runs as postgres.
    with tempfile.TemporaryDirectory(prefix="bank-cluster-") as directory:
        options = Options(
            replicas=2, action_servers=2, directory=Path(directory), speech=False, fresh=True, rest_token=REST_TOKEN
        )
        with Cluster(model, options) as running:
            yield running


def new_sender(what: str) -> str:
    return f"cluster-{what}-{uuid.uuid4().hex[:8]}"


def latest_code(bank_url: str, sender: str) -> str:
    """The one-time code sent in conversation ``sender``, read as staff read it (`make outbox`)."""
    out = subprocess.run(
        [sys.executable, "-m", "actions.bank", "outbox", PHONE],
        cwd=REPO_ROOT, env={"BANK_DATABASE_URL": bank_url, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    codes = [
        m.group(1)
        for line in out.splitlines()
        if sender in line
        for m in [re.search(r"(?<!\d)(\d{6})(?!\d)", line)]
        if m
    ]
    assert codes, f"no code for {sender} in the outbox:\n{out}"
    return codes[0]
