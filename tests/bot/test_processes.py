"""bot.processes: local ports, the environment of child processes."""

import socket
import subprocess
import sys

from bot import processes


def test_free_port_can_be_bound(free_port):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port))


def test_rasa_and_the_action_server_refuse_bodies_over_8_mb():
    """Both are Sanic apps started with child_env; Sanic reads SANIC_REQUEST_MAX_SIZE (default 100 MB)."""
    code = "from sanic import Sanic; print(Sanic('rasa_like').config.REQUEST_MAX_SIZE)"
    found = subprocess.run(
        [sys.executable, "-c", code], env=processes.child_env(), capture_output=True, text=True, check=True
    )
    assert int(found.stdout) == processes.SANIC_REQUEST_MAX_BYTES == 8 * 1024 * 1024
