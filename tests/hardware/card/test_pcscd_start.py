"""Starting pcscd when vpcd's ports are taken: an outgoing connection that was given one of
them as its local port keeps vpcd from listening, and pcscd then offers no vpcd reader (a CI run
failed so). pcscd itself is faked here; the ports are free ones of this machine, not 35963."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from hardware.card import pcscd


class FakePcscd:
    """A pcscd process that never exits on its own."""

    def __init__(self) -> None:
        self.stopped = False

    def poll(self) -> int | None:
        return 0 if self.stopped else None


class Launches:
    """Records each launch and whether vpcd's ports were free at that moment."""

    def __init__(self, reader_offered: list[bool]) -> None:
        self.reader_offered = reader_offered
        self.ports_free_at_launch: list[bool] = []
        self.processes: list[FakePcscd] = []

    def launch(self, executable: str) -> FakePcscd:
        self.ports_free_at_launch.append(not pcscd.vpcd_ports_in_use())
        self.processes.append(FakePcscd())
        return self.processes[-1]

    def offers_a_reader(self, process: FakePcscd, deadline: float) -> bool:
        return self.reader_offered[len(self.processes) - 1]


def free_port_pair() -> tuple[int, int]:
    """Two ports nothing listens on (ephemeral ones the kernel just handed out and took back)."""
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    return ports[0], ports[1]


@pytest.fixture
def vpcd_ports(monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    ports = free_port_pair()
    monkeypatch.setattr(pcscd, "VPCD_PORTS", ports)
    monkeypatch.setattr(pcscd, "service_available", lambda: False)
    monkeypatch.setattr(pcscd.shutil, "which", lambda *args, **kwargs: "/usr/sbin/pcscd")
    monkeypatch.setattr(pcscd, "stop_pcscd", lambda process: setattr(process, "stopped", True))
    return ports


def fake_pcscd(monkeypatch: pytest.MonkeyPatch, reader_offered: list[bool]) -> Launches:
    launches = Launches(reader_offered)
    monkeypatch.setattr(pcscd, "_launch_pcscd", launches.launch)
    monkeypatch.setattr(pcscd, "_offers_a_vpcd_reader", launches.offers_a_reader)
    return launches


class OutgoingConnection:
    """A connection whose local port is ``port``, as the kernel may give an outgoing one. The
    far end closes first, so the port is free again at once when it is released."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.client = socket.socket()
        self.client.bind(("127.0.0.1", port))
        self.client.connect(self.listener.getsockname())
        self.server_side, _ = self.listener.accept()

    def release(self) -> None:
        self.server_side.close()
        self.client.recv(1)  # the far end's FIN: the TIME_WAIT stays on its side
        self.client.close()
        self.listener.close()


@pytest.fixture
def held(vpcd_ports: tuple[int, int]) -> Iterator[OutgoingConnection]:
    connection = OutgoingConnection(vpcd_ports[1])
    yield connection
    connection.release()


def test_a_port_held_by_an_outgoing_connection_counts_as_in_use(
    vpcd_ports: tuple[int, int], held: OutgoingConnection
) -> None:
    assert pcscd.vpcd_ports_in_use() == [vpcd_ports[1]]


def test_pcscd_is_launched_only_once_the_held_port_is_free(
    monkeypatch: pytest.MonkeyPatch, vpcd_ports: tuple[int, int]
) -> None:
    launches = fake_pcscd(monkeypatch, reader_offered=[True])
    connection = OutgoingConnection(vpcd_ports[0])
    releaser = threading.Timer(0.5, connection.release)
    releaser.start()
    process: Any = pcscd.start_pcscd(timeout=10)
    releaser.join()
    assert launches.ports_free_at_launch == [True]
    assert process is launches.processes[0]


def test_a_pcscd_without_a_reader_is_stopped_and_started_again(
    monkeypatch: pytest.MonkeyPatch, vpcd_ports: tuple[int, int]
) -> None:
    launches = fake_pcscd(monkeypatch, reader_offered=[False, True])
    process: Any = pcscd.start_pcscd(timeout=10)
    assert len(launches.processes) == 2
    assert launches.processes[0].stopped
    assert process is launches.processes[1]
    assert not process.stopped


def test_the_error_names_the_port_another_socket_holds(
    monkeypatch: pytest.MonkeyPatch, vpcd_ports: tuple[int, int], held: OutgoingConnection
) -> None:
    launches = fake_pcscd(monkeypatch, reader_offered=[False] * 20)
    with pytest.raises(RuntimeError, match=f"port {vpcd_ports[1]} is held by another socket"):
        pcscd.start_pcscd(timeout=0.5)
    assert all(process.stopped for process in launches.processes)
