"""``python -m hyperban.client``: fail2ban-client's command line for hyperban.

It speaks JSON lines to the daemon's control socket (see
:mod:`hyperban.control.protocol`) and prints replies exactly as
fail2ban-client does.
"""

from .cli import main
from .connection import ControlClient

__all__ = ["ControlClient", "main"]
