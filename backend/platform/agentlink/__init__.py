"""Counter agents: the jobs sent to them and the hub their connections end in.

Generic: the app wires the devices and a result handler per job kind at start
(``configure``, ``register_result_handler``; see ``hooks``).
"""

from backend.platform.agentlink.hooks import configure, register_result_handler

__all__ = ["configure", "register_result_handler"]
