"""HAProxy's configuration for the cluster is one HAProxy accepts (``haproxy -c``), with the frontends
and servers the cluster needs."""

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.cluster.haproxy import Frontends, render_config


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="Debian's haproxy not installed (make cluster-packages)")
def test_the_rendered_configuration_is_valid_haproxy(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(render_config(Frontends(8001, 8002, 8003), [9001, 9002], [9101, 9102], 9201, tmp_path / "s"))
    check = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_rest_goes_to_the_replicas_and_everything_else_to_the_gateway():
    config = render_config(Frontends(8001, 8002, 8003), [9001, 9002], [9101], 9201, Path("/tmp/s"))
    front_door = config.split("frontend front_door")[1].split("frontend rasa_in")[0]
    assert "use_backend rasa if rasa_rest" in front_door and "default_backend gateway" in front_door
    assert "server r1 127.0.0.1:9001 check maxconn 16" in config and "server g1 127.0.0.1:9201 check\n" in config
    assert "retry-on conn-failure" in config  # nothing a server may have started on is sent again
