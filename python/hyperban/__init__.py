"""hyperban: fail2ban-compatible intrusion prevention with a Rust core.

Data flows one way through the package::

    log source -> matcher -> filter -> FailManager -> Jail -> Actions/Observer -> Database

``hyperban._core`` is the Rust extension (Hyperscan/PCRE2 matching, date
detection, the ban timer wheel); everything else is Python.
"""

from hyperban._core import __version__

__all__ = ["__version__"]
