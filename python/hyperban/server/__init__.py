"""Server core of hyperban: clock, tickets, failure and ban bookkeeping, persistence.

* :class:`Clock` / :data:`clock` -- the single, injectable clock of the server;
* :class:`Ticket`, :class:`FailTicket`, :class:`BanTicket` -- fail2ban-compatible tickets;
* :class:`FailManager` -- failures per id within ``findtime`` up to ``maxretry``;
* :class:`BanManager` -- current bans of a jail;
* :class:`Database` -- SQLite persistence, file-compatible with fail2ban;
* :class:`BanTimeIncrement` -- fail2ban's ``bantime.*`` increment rules;
* :class:`BanExpiry` -- ban ends on the Rust timer wheel;
* :class:`Observer` -- the thread that applies increments and drives unbans.
"""

from .banmanager import BanManager
from .bantime import BanTimeIncrement, FormulaError, calc_ban_time
from .clock import Clock, clock
from .database import SCHEMA_VERSION, Database, DatabaseError, first_line_hash
from .expiry import BanExpiry
from .failmanager import FailManager, FailManagerEmpty
from .observer import Observer
from .ticket import BanTicket, FailTicket, Ticket

__all__ = [
    "SCHEMA_VERSION",
    "BanExpiry",
    "BanManager",
    "BanTicket",
    "BanTimeIncrement",
    "Clock",
    "Database",
    "DatabaseError",
    "FailManager",
    "FailManagerEmpty",
    "FailTicket",
    "FormulaError",
    "Observer",
    "Ticket",
    "calc_ban_time",
    "clock",
    "first_line_hash",
]
