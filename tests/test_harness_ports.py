"""The harness's ports: a server started later than its port was picked still finds it free."""

from __future__ import annotations

import socket

from tic_platform.embedded import ephemeral_range, free_port


def test_a_free_port_lies_below_the_range_outgoing_connections_draw_from_and_is_never_handed_out_twice() -> None:
    """A port from the kernel's ephemeral range can be taken by any outgoing connection (to PostgreSQL, to NATS)
    between the pick and the server's bind: a fault scenario once lost its funding service that way."""
    low, _ = ephemeral_range()
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert all(port < low for port in ports), [port for port in ports if port >= low]
    for port in ports[:5]:
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))  # free when it is to be used
