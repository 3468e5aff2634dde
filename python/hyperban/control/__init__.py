"""The daemon's control socket: protocol, dispatch and the contract with the daemon.

* :mod:`.api` -- ``ControlTarget``, what the daemon implements, and its errors;
* :mod:`.protocol` -- framing of the two dialects (JSON lines, fail2ban pickle);
* :mod:`.safe_unpickle` -- the only way socket bytes are ever unpickled;
* :mod:`.transmitter` -- fail2ban's command language -> ``ControlTarget`` calls;
* :mod:`.socket_server` -- the Unix socket, its threads and limits;
* :mod:`.beautifier` -- replies as fail2ban-client prints them.

Wiring, in the daemon::

    server = ControlSocketServer(path, Transmitter(daemon).proceed)
    server.start(force=False)   # ControlSocketError if running/stale
    ...
    server.stop()
"""

from .api import (
    ArityError,
    ControlError,
    ControlTarget,
    DuplicateJailError,
    InvalidCommandError,
    UnknownJailError,
    UnsupportedError,
)
from .socket_server import ControlSocketError, ControlSocketServer
from .transmitter import Transmitter

__all__ = [
    "ArityError",
    "ControlError",
    "ControlSocketError",
    "ControlSocketServer",
    "ControlTarget",
    "DuplicateJailError",
    "InvalidCommandError",
    "Transmitter",
    "UnknownJailError",
    "UnsupportedError",
]
