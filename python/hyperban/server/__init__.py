"""Server core of hyperban: clock, tickets, failure and ban bookkeeping, persistence.

* :class:`Clock` / :data:`clock` -- the single, injectable clock of the server;
* :class:`Ticket`, :class:`FailTicket`, :class:`BanTicket` -- fail2ban-compatible tickets;
* :class:`FailManager` -- failures per id within ``findtime`` up to ``maxretry``;
* :class:`BanManager` -- current bans of a jail;
* :class:`Database` -- SQLite persistence, file-compatible with fail2ban.
"""

from .banmanager import BanManager
from .clock import Clock, clock
from .database import SCHEMA_VERSION, Database, DatabaseError, first_line_hash
from .failmanager import FailManager, FailManagerEmpty
from .ticket import BanTicket, FailTicket, Ticket

__all__ = [
    "SCHEMA_VERSION",
    "BanManager",
    "BanTicket",
    "Clock",
    "Database",
    "DatabaseError",
    "FailManager",
    "FailManagerEmpty",
    "FailTicket",
    "Ticket",
    "clock",
    "first_line_hash",
]
