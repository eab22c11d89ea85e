"""bot.processes: local ports."""

import socket


def test_free_port_can_be_bound(free_port):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port))
