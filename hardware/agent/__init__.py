"""The counter agent: one outbound connection to the backend, jobs run on local devices.

Uses only ``contracts`` of ours (docs/architecture.md): card reading and printing come in as
handlers (``hardware.agent.handlers``), the connection as a transport
(``hardware.agent.transport``).
"""
