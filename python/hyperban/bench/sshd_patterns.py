"""A bundled regex set for the matcher benchmark: sshd authentication
failures in a Debian auth.log, written for hyperban (not fail2ban's filter).

It lets ``python -m hyperban bench`` run on a machine without any fail2ban
configuration; ``benches/compare_engines.py`` measures fail2ban's own sshd
filter instead.
"""

# The syslog header: date, host, program and pid.
_PREFIX = r"^(?:[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d )?(?P<hostname>\S+) sshd(?:\[(?P<pid>\d+)\])?: "
# IPv4, IPv6 (also IPv4-mapped) or a host name.
_HOST = r"(?P<host>(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+|[\w.-]+)"
_PORT = r"(?: port \d+)?(?: ssh\d?)?"

SSHD_PATTERNS: list[str] = [
    _PREFIX
    + r"Failed (?:password|none|publickey|keyboard-interactive(?:/pam)?) for (?:invalid user )?"
    + r"(?P<user>\S+) from "
    + _HOST
    + _PORT
    + r"\s*$",
    _PREFIX + r"Invalid user (?P<user>\S*) from " + _HOST + _PORT + r"\s*$",
    _PREFIX + r"User (?P<user>\S+) from " + _HOST + r" not allowed because .+$",
    _PREFIX
    + r"error: maximum authentication attempts exceeded for (?:invalid user )?(?P<user>\S+) from "
    + _HOST
    + _PORT
    + r"(?: \[preauth\])?\s*$",
    _PREFIX
    + r"(?:error: PAM: )?[aA]uthentication (?:failure|error|failed) for (?P<user>\S*) from "
    + _HOST,
    _PREFIX + r"Did not receive identification string from " + _HOST,
    _PREFIX
    + r"Connection closed by (?:authenticating|invalid) user (?P<user>\S+) "
    + _HOST
    + _PORT
    + r" \[preauth\]$",
    _PREFIX
    + r"Disconnecting(?: invalid user \S+)? "
    + _HOST
    + _PORT
    + r": Too many authentication failures",
]
