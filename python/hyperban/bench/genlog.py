#!/usr/bin/env python3
"""Seedable synthetic log generator for hyperban benchmarks (stdlib only).

Usage::

    python -m hyperban.bench.genlog KIND --lines N --attack-ratio R --seed S \
        [--out FILE] [--start EPOCH] [--rate LINES_PER_SEC] [--counts FILE]

or, from Python::

    from hyperban.bench.genlog import GenStats, generate, generate_tagged, write_log, SYSLOG_JAILS

    stats = GenStats()
    for line in generate("auth", 10_000, 0.3, seed=1, stats=stats):
        ...
    stats.matches["sshd"]          # lines fail2ban-regex will count as "matched"

    stats = write_log("/tmp/auth.log", "auth", 1_000_000, 0.3, seed=1)   # fast path
    for line, filters in generate_tagged("syslog", 1000, 0.3, seed=1):    # per-line truth
        ...

``python -m hyperban.bench.genlog syslog --list-filters`` prints :data:`SYSLOG_JAILS`.

Output is fully determined by ``(kind, lines, attack_ratio, seed, start, rate)``
(UTC timestamps, ``random.Random`` seeded from a string).  All lines are
synthesised here; nothing is copied from fail2ban or its test logs.

Every emitted line carries the set of stock fail2ban filters (Debian fail2ban
1.0.2, ``/etc/fail2ban/filter.d``) that count it as a failure, i.e. the lines
``fail2ban-regex LOG FILTER`` reports as *matched*.  The per-filter totals are
accumulated in :class:`GenStats` (``stats.matches``).  A line is an *attack
line* when one of the kind's target filters (:data:`TARGETS`) matches it; the
generator keeps the fraction of attack lines close to ``attack_ratio``.
Attack sessions also contain context lines that no target filter counts
(pam "check pass", "Connection closed ... [preauth]", "connect from", ...);
their share shrinks as ``attack_ratio`` grows (none at ratio 1.0).

Multi-line state is kept trivially predictable so the tags are exact for both
``fail2ban-regex`` and the fail2ban server: every connection gets a fresh PID
(filters such as sshd/sendmail merge lines by PID/queue id), the user name is
constant within a connection, and no failure line lacks a host (host-less
"pending" failures are treated differently by fail2ban-regex and the server).

Kinds
-----
``auth``
    Debian ``/var/log/auth.log`` (traditional syslog timestamps).  Benign:
    sshd publickey/password logins with pam_unix session open/close,
    systemd-logind, "Received disconnect", "Disconnected from user",
    "Server listening", CRON, sudo, su.  Attacks: what the stock ``sshd``
    filter (``mode=normal``) counts -- "Invalid user", "Failed password/none
    for (invalid user) X", "User X from IP not allowed because not listed in
    AllowUsers", "maximum authentication attempts exceeded".  Attack
    connections also log lines the normal mode does not count: pam_unix "check
    pass" / "authentication failure" (a no-failure helper in every mode),
    "PAM n more authentication failures", "Disconnecting authenticating user
    ... Too many authentication failures", "Received disconnect ... Bye Bye";
    "Connection closed by (authenticating|invalid) user ... [preauth]",
    "Connection closed/reset by IP ... [preauth]", "Did not receive
    identification string" and "banner exchange ... invalid format" (counted
    by ``mode=ddos``/``aggressive``), "Unable to negotiate" (``extra``/
    ``aggressive``) and "Disconnected from invalid user ... [preauth]"
    (``ddos``/``extra``/``aggressive``).
    Reported filters: ``sshd``, ``sshd[mode=ddos]``, ``sshd[mode=extra]``,
    ``sshd[mode=aggressive]``.  Target: ``sshd``.
``nginx`` / ``apache``
    Combined-format access logs (the two differ in server-specific details).
    Targets (the stock filters that read *access* logs): ``nginx-botsearch``
    (404 on scanner paths), ``nginx-bad-request`` (status 400),
    ``php-url-fopen`` (``?x=http://`` remote includes) and ``apache-badbots``
    (spam-bot user agents).  These regexes are format-agnostic, so both kinds
    target the same four filters.  ``apache-fakegooglebot`` is deliberately
    not exercised (its verdict depends on a DNS ignorecommand).
``nginx-error``
    nginx ``error.log``.  Targets: ``nginx-http-auth``, ``nginx-limit-req``,
    ``nginx-botsearch`` (its error-log form).
``apache-error``
    Apache 2.4 ``error.log``.  Targets: ``apache-auth``, ``apache-noscript``,
    ``apache-overflows``, ``apache-nohome``, ``apache-botsearch``,
    ``apache-shellshock``, ``apache-modsecurity``.
``syslog``
    One combined syslog for a host running 30 services, one jail each on the
    same file: see :data:`SYSLOG_JAILS`.  Each of those filters gets both
    attack lines (that it, and no other of the 30, matches) and benign lines of
    its own service, plus kernel/systemd/CRON background noise.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import ipaddress
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from math import log
from pathlib import Path
from random import Random
from typing import Any, TextIO

__all__ = [
    "DEFAULT_START",
    "KINDS",
    "REPORTED",
    "SYSLOG_JAILS",
    "TARGETS",
    "GenStats",
    "expected_matches",
    "generate",
    "generate_tagged",
    "main",
    "write_log",
]

#: 2023-11-14 22:13:20 UTC -- fixed default so output is reproducible.
DEFAULT_START = 1_700_000_000

# One log line before formatting: (pre, post, tags, inner_clock, tail).
# Rendered as  pre + clock(t) + post                        (inner_clock is None)
#          or  pre + clock(t) + post + inner_clock(t) + tail (second timestamp)
# tags: the stock filters that count the line as a failure.
Entry = tuple[str, str, tuple[str, ...], "Callable[[float], str] | None", str]
Session = list[Entry]

# --------------------------------------------------------------------------------------
# filter names
# --------------------------------------------------------------------------------------

SSHD_MODES = ("sshd", "sshd[mode=ddos]", "sshd[mode=extra]", "sshd[mode=aggressive]")

#: The 30 stock filters a bench should load (one jail each) for ``syslog`` logs.
SYSLOG_JAILS: list[str] = [
    "sshd",
    "dropbear",
    "postfix",
    "dovecot",
    "courier-auth",
    "courier-smtp",
    "cyrus-imap",
    "exim",
    "sendmail-auth",
    "sendmail-reject",
    "proftpd",
    "pure-ftpd",
    "vsftpd",
    "named-refused",
    "asterisk",
    "mysqld-auth",
    "uwimap-auth",
    "solid-pop3d",
    "sieve",
    "perdition",
    "webmin-auth",
    "wuftpd",
    "xinetd-fail",
    "gssftpd",
    "nagios",
    "scanlogd",
    "phpmyadmin-syslog",
    "haproxy-http-auth",
    "monit",
    "froxlor-auth",
]

_ACCESS_FILTERS = ["nginx-botsearch", "nginx-bad-request", "php-url-fopen", "apache-badbots"]

#: Filters whose matches count as attack lines, per kind.
TARGETS: dict[str, list[str]] = {
    "auth": ["sshd"],
    "nginx": list(_ACCESS_FILTERS),
    "apache": list(_ACCESS_FILTERS),
    "nginx-error": ["nginx-http-auth", "nginx-limit-req", "nginx-botsearch"],
    "apache-error": [
        "apache-auth",
        "apache-noscript",
        "apache-overflows",
        "apache-nohome",
        "apache-botsearch",
        "apache-shellshock",
        "apache-modsecurity",
    ],
    "syslog": list(SYSLOG_JAILS),
}

#: Every filter spec whose expected match count is reported (and verified by the tests).
REPORTED: dict[str, list[str]] = {k: list(v) for k, v in TARGETS.items()}
REPORTED["auth"] = list(SSHD_MODES)

KINDS: tuple[str, ...] = tuple(TARGETS)


@dataclass
class GenStats:
    """Filled in while a :func:`generate` iterator is consumed."""

    kind: str = ""
    lines: int = 0
    attack_lines: int = 0
    #: filter spec -> number of emitted lines ``fail2ban-regex`` reports as matched
    matches: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "lines": self.lines,
            "attack_lines": self.attack_lines,
            "targets": TARGETS.get(self.kind, []),
            "matches": dict(self.matches),
        }


# --------------------------------------------------------------------------------------
# clocks (UTC, cached per second)
# --------------------------------------------------------------------------------------

_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _fmt_syslog(d: datetime) -> tuple[str, str]:
    return f"{_MON[d.month - 1]} {d.day:2d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}", ""


def _fmt_access(d: datetime) -> tuple[str, str]:
    return (
        f"{d.day:02d}/{_MON[d.month - 1]}/{d.year}:{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
        " +0000",
        "",
    )


def _fmt_nginx_error(d: datetime) -> tuple[str, str]:
    return f"{d.year}/{d.month:02d}/{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}", ""


def _fmt_apache_error(d: datetime) -> tuple[str, str]:
    head = (
        f"{_WDAY[d.weekday()]} {_MON[d.month - 1]} {d.day:02d} "
        f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
    )
    return head, f" {d.year}"


def _fmt_iso(d: datetime) -> tuple[str, str]:
    return f"{d.year}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}", ""


def _fmt_haproxy(d: datetime) -> tuple[str, str]:
    return (
        f"{d.day:02d}/{_MON[d.month - 1]}/{d.year}:{d.hour:02d}:{d.minute:02d}:{d.second:02d}",
        "",
    )


def _fmt_hms(d: datetime) -> tuple[str, str]:
    return f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}", ""


def _make_clock(
    fmt: Callable[[datetime], tuple[str, str]], digits: int = 0
) -> Callable[[float], str]:
    """Return ``clock(t) -> str``; ``digits`` > 0 appends ``.fraction`` after the seconds."""
    cache: tuple[int, str, str] = (-1, "", "")  # swapped atomically: thread-safe
    scale = 10**digits

    def clock(t: float) -> str:
        nonlocal cache
        s = int(t)
        c = cache
        if s != c[0]:
            head, tail = fmt(datetime.fromtimestamp(s, timezone.utc))
            c = cache = (s, head, tail)
        if not digits:
            return c[1]
        return f"{c[1]}.{int((t - s) * scale):0{digits}d}{c[2]}"

    return clock


# --------------------------------------------------------------------------------------
# shared vocabulary
# --------------------------------------------------------------------------------------

_ATTACK_USERS = (
    "admin", "test", "user", "oracle", "postgres", "ubuntu", "git", "ftpuser", "pi",
    "support", "guest", "deploy", "jenkins", "hadoop", "mysql", "nagios", "minecraft",
    "steam", "centos", "debian", "ec2-user", "vagrant", "ansible", "docker", "tomcat",
    "elastic", "redis", "ts3", "administrator", "info", "sales", "webmaster", "backup",
    "ftp", "test1", "user1", "odoo", "zabbix", "sysadmin", "dev", "www", "operator",
    "service", "demo", "student", "oracle1", "hduser", "es", "kafka", "sonar", "gitlab",
)  # fmt: skip
_LOCAL_USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
_DOMAINS = ("example.org", "example.com", "example.net", "mail.example.org")
_HELOS = ("User", "ylmf-pc", "WIN-3F1A2B", "localhost", "mail.example.com", "EHLO", "win7")
_SCAN_PATHS = (
    "/wp-login.php", "/wp-admin.php", "/wp-signup.php", "/phpmyadmin/", "/phpMyAdmin/",
    "/pma/", "/myadmin/", "/admin/pma/", "/xampp/phpmyadmin/", "/typo3/phpmyadmin/",
    "/roundcube/", "/webmail/", "/mail/", "/horde/", "/v-webmail/", "/extmail/",
    "/mysqladmin/", "/cgi-bin/luci", "/cgi-bin/test.cgi", "/phpMyAdmin/index.php",
)  # fmt: skip
_NOISE_PATHS = ("/.env", "/.git/config", "/server-status", "/robots.txt", "/", "/login")
_BROWSER_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "curl/8.4.0",
)
_SCANNER_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/74.0.3729.169 Safari/537.36",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
)
# User agents on the stock apache-badbots list (names of spam harvesters).
_BAD_BOT_UAS = ("EmailCollector", "EmailSiphon", "WebEMailExtrac", "ExtractorPro",
                "EmailWolf 1.00", "Mozilla/5.0 Jorgee")  # fmt: skip
_SITE_PATHS = (
    ("/", "text"), ("/index.html", "text"), ("/about/", "text"), ("/blog/", "text"),
    ("/blog/2023/11/release-notes", "text"), ("/docs/install", "text"),
    ("/products?page=2", "text"), ("/search?q=firewall", "text"), ("/feed.xml", "text"),
    ("/api/v1/items?limit=20", "api"), ("/api/v1/status", "api"),
)  # fmt: skip
_ASSETS = ("/css/site.css", "/js/app.js", "/img/logo.svg", "/img/hero.webp", "/fonts/inter.woff2",
           "/js/vendor.js", "/css/print.css")  # fmt: skip
_REFERERS = ("-", "-", "https://www.google.com/", "https://duckduckgo.com/",
             "https://news.ycombinator.com/", "https://www.example.org/blog/")  # fmt: skip
_EVIL_HOSTS = ("evil.example", "198.51.100.66", "pastebin.example", "x.example.net")


def _is_public(addr: str) -> bool:
    return ipaddress.ip_address(addr).is_global


class _Ctx:
    """Per-run state: RNG, address pools, PID counters."""

    def __init__(self, rng: Random, lines: int, ratio: float, host: str) -> None:
        self.rng = rng
        self.rand = rng.random
        self.host = host
        self.hp = f" {host} "
        self.fqdn = f"{host}.example.org"
        self.noise = 1.0 - min(max(ratio, 0.0), 1.0)
        self.lip = "203.0.113.25"  # the server itself (TEST-NET-3)
        self.lip6 = "2001:db8:25::25"
        self._pid = rng.randint(2_000, 40_000)
        self._seq = rng.randint(1_000, 90_000)
        taken: set[str] = set()
        n_att = max(24, min(4_000, lines // 400))
        n_good = max(32, min(6_000, lines // 150))
        self.att4 = self._pool4(n_att, taken, cluster=0.35)
        self.att6 = self._pool6(max(4, n_att // 6), taken)
        self.good4 = self._pool4(n_good, taken, cluster=0.1)
        self.good4 += [f"192.168.{rng.randint(0, 9)}.{rng.randint(2, 250)}" for _ in range(8)]
        self.good6 = self._pool6(max(4, n_good // 6), taken)
        # Zipf-like weights: a few attackers are very busy, so bans happen.
        self.att4_cum = self._cum(len(self.att4))
        self.att6_cum = self._cum(len(self.att6))
        self.keys = {
            u: base64.b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode()[:43]
            for u in _LOCAL_USERS
        }
        self.daemon_pids: dict[str, int] = {}
        self.strcache: dict[str, str] = {}

    # -- pools ---------------------------------------------------------------------------
    def _pool4(self, n: int, taken: set[str], cluster: float) -> list[str]:
        rng = self.rng
        out: list[str] = []
        while len(out) < n:
            if out and rng.random() < cluster:
                base = rng.choice(out).rsplit(".", 1)[0]
                ip = f"{base}.{rng.randint(1, 254)}"
            else:
                ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}." + str(
                    rng.randint(1, 254)
                )
            if ip in taken or not _is_public(ip):
                continue
            taken.add(ip)
            out.append(ip)
        return out

    def _pool6(self, n: int, taken: set[str]) -> list[str]:
        rng = self.rng
        out: list[str] = []
        while len(out) < n:
            hi = (0x2400 + rng.randrange(0x0C00)) << 112
            val = (
                hi
                | (rng.getrandbits(48) << 64)
                | (rng.getrandbits(16) if rng.random() < 0.6 else rng.getrandbits(64))
            )
            ip = ipaddress.IPv6Address(val).compressed
            if ip in taken or not _is_public(ip):
                continue
            taken.add(ip)
            out.append(ip)
        return out

    @staticmethod
    def _cum(n: int) -> list[float]:
        acc = 0.0
        out = []
        for i in range(n):
            acc += 1.0 / (i + 1) ** 1.1
            out.append(acc)
        return out

    # -- pickers -------------------------------------------------------------------------
    def attacker(self, v6: bool = False) -> str:
        if v6 and self.rand() < 0.15:
            pool, cum = self.att6, self.att6_cum
        else:
            pool, cum = self.att4, self.att4_cum
        return pool[bisect.bisect(cum, self.rand() * cum[-1])]

    def client(self, v6: bool = False) -> str:
        if v6 and self.rand() < 0.2:
            return self.good6[int(self.rand() * len(self.good6))]
        return self.good4[int(self.rand() * len(self.good4))]

    def pid(self) -> int:
        self._pid += 1 + int(self.rand() * 40)
        if self._pid > 4_190_000:
            self._pid = 1_000 + int(self.rand() * 1_000)
        return self._pid

    def dpid(self, name: str) -> int:
        """Stable PID of a long-running daemon."""
        p = self.daemon_pids.get(name)
        if p is None:
            p = self.daemon_pids[name] = 300 + int(self.rand() * 3_000)
        return p

    def seq(self) -> int:
        self._seq += 1
        return self._seq

    def port(self) -> int:
        return 1025 + int(self.rand() * 64_500)

    def pick(self, seq: tuple[str, ...]) -> str:
        return seq[int(self.rand() * len(seq))]

    def hexid(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}X}"

    def b64(self, nbytes: int) -> str:
        return base64.b64encode(self.rng.getrandbits(8 * nbytes).to_bytes(nbytes, "big")).decode()

    def rdns(self, ip: str) -> str:
        if ":" in ip or self.rand() < 0.6:
            return "unknown"
        return ip.replace(".", "-") + ".static." + self.pick(_DOMAINS)

    def maybe(self) -> bool:
        """Include an optional context line of an attack session?"""
        return self.rand() < self.noise

    def sl(self, msg: str, tags: tuple[str, ...] = ()) -> Entry:
        """Syslog entry: ``<date> <host> <msg>``."""
        return ("", self.hp + msg, tags, None, "")


# --------------------------------------------------------------------------------------
# auth.log / sshd
# --------------------------------------------------------------------------------------

_T_N = SSHD_MODES  # counted by every mode
_T_D = ("sshd[mode=ddos]", "sshd[mode=aggressive]")
_T_E = ("sshd[mode=extra]", "sshd[mode=aggressive]")
_T_DE = ("sshd[mode=ddos]", "sshd[mode=extra]", "sshd[mode=aggressive]")
_NONE: tuple[str, ...] = ()


def _sshd_probe(c: _Ctx, ip: str, out: Session) -> None:
    """One pre-auth probe connection; counted by ddos/extra/aggressive modes only."""
    p, port = c.pid(), c.port()
    r = c.rand()
    if r < 0.3:
        out.append(
            c.sl(f"sshd[{p}]: Did not receive identification string from {ip} port {port}", _T_D)
        )
    elif r < 0.5:
        out.append(
            c.sl(
                f"sshd[{p}]: Unable to negotiate with {ip} port {port}: no matching key "
                "exchange method found. Their offer: diffie-hellman-group14-sha1,"
                "diffie-hellman-group-exchange-sha1 [preauth]",
                _T_E,
            )
        )
    elif r < 0.75:
        out.append(c.sl(f"sshd[{p}]: Connection closed by {ip} port {port} [preauth]", _T_D))
    elif r < 0.9:
        out.append(c.sl(f"sshd[{p}]: Connection reset by {ip} port {port} [preauth]", _T_D))
    else:
        out.append(
            c.sl(
                f"sshd[{p}]: banner exchange: Connection from {ip} port {port}: invalid format",
                _T_D,
            )
        )


def _sshd_attack(c: _Ctx) -> Session:
    out: Session = []
    ip = c.attacker(v6=True)
    if c.maybe() and c.rand() < 0.3:
        _sshd_probe(c, ip, out)
    p, port = c.pid(), c.port()
    pre = f"sshd[{p}]: "
    r = c.rand()
    if r < 0.45:  # invalid user, password guessing
        u = c.pick(_ATTACK_USERS)
        out.append(c.sl(f"{pre}Invalid user {u} from {ip} port {port}", _T_N))
        if c.maybe():
            out.append(c.sl(f"{pre}pam_unix(sshd:auth): check pass; user unknown"))
        if c.maybe():
            out.append(
                c.sl(
                    f"{pre}pam_unix(sshd:auth): authentication failure; logname= uid=0 "
                    f"euid=0 tty=ssh ruser= rhost={ip}"
                )
            )
        k = 1 if c.rand() < 0.7 else 2 + int(c.rand() * 3)
        for _ in range(k):
            out.append(
                c.sl(f"{pre}Failed password for invalid user {u} from {ip} port {port} ssh2", _T_N)
            )
        if c.maybe():
            if c.rand() < 0.5:
                out.append(
                    c.sl(f"{pre}Received disconnect from {ip} port {port}:11: Bye Bye [preauth]")
                )
                out.append(
                    c.sl(
                        f"{pre}Disconnected from invalid user {u} {ip} port {port} [preauth]", _T_DE
                    )
                )
            else:
                out.append(
                    c.sl(
                        f"{pre}Connection closed by invalid user {u} {ip} port {port} [preauth]",
                        _T_D,
                    )
                )
    elif r < 0.8:  # existing account (mostly root), password guessing
        u = "root" if c.rand() < 0.8 else c.pick(_LOCAL_USERS)
        if c.maybe():
            out.append(
                c.sl(
                    f"{pre}pam_unix(sshd:auth): authentication failure; logname= uid=0 "
                    f"euid=0 tty=ssh ruser= rhost={ip}  user={u}"
                )
            )
        k = 1 + int(c.rand() * 3) if c.rand() < 0.8 else 6
        for _ in range(k):
            out.append(c.sl(f"{pre}Failed password for {u} from {ip} port {port} ssh2", _T_N))
        if k >= 6:
            out.append(
                c.sl(
                    f"{pre}error: maximum authentication attempts exceeded for {u} from "
                    f"{ip} port {port} ssh2 [preauth]",
                    _T_N,
                )
            )
            if c.maybe():
                out.append(
                    c.sl(
                        f"{pre}Disconnecting authenticating user {u} {ip} port {port}: "
                        "Too many authentication failures [preauth]"
                    )
                )
        elif c.maybe():
            out.append(
                c.sl(
                    f"{pre}Connection closed by authenticating user {u} {ip} port {port} [preauth]",
                    _T_D,
                )
            )
        if k > 1 and c.maybe():
            more = k - 1
            out.append(
                c.sl(
                    f"{pre}PAM {more} more authentication failure{'s' if more > 1 else ''}"
                    f"; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={u}"
                )
            )
    elif r < 0.9:  # AllowUsers
        u = c.pick(_ATTACK_USERS) if c.rand() < 0.5 else "root"
        out.append(
            c.sl(f"{pre}User {u} from {ip} not allowed because not listed in AllowUsers", _T_N)
        )
        out.append(
            c.sl(f"{pre}Failed password for invalid user {u} from {ip} port {port} ssh2", _T_N)
        )
        if c.maybe():
            out.append(
                c.sl(f"{pre}Connection closed by invalid user {u} {ip} port {port} [preauth]", _T_D)
            )
    else:  # "none" auth probing of an invalid user
        u = c.pick(_ATTACK_USERS)
        out.append(c.sl(f"{pre}Invalid user {u} from {ip} port {port}", _T_N))
        out.append(c.sl(f"{pre}Failed none for invalid user {u} from {ip} port {port} ssh2", _T_N))
        if c.maybe():
            out.append(
                c.sl(f"{pre}Disconnected from invalid user {u} {ip} port {port} [preauth]", _T_DE)
            )
    return out


def _sshd_login(c: _Ctx) -> Session:
    u = c.pick(_LOCAL_USERS)
    ip = c.client(v6=True)
    p, p2, port = c.pid(), c.pid(), c.port()  # p2: the post-auth privsep child
    uid = 1000 + _LOCAL_USERS.index(u)
    logind = c.dpid("systemd-logind")
    sess = c.seq() % 9000 + 1
    if c.rand() < 0.8:
        acc = f"Accepted publickey for {u} from {ip} port {port} ssh2: ED25519 SHA256:{c.keys[u]}"
    else:
        acc = f"Accepted password for {u} from {ip} port {port} ssh2"
    return [
        c.sl(f"sshd[{p}]: {acc}"),
        c.sl(
            f"sshd[{p}]: pam_unix(sshd:session): session opened for user {u}(uid={uid}) by (uid=0)"
        ),
        c.sl(f"systemd-logind[{logind}]: New session {sess} of user {u}."),
        c.sl(f"sshd[{p2}]: Received disconnect from {ip} port {port}:11: disconnected by user"),
        c.sl(f"sshd[{p2}]: Disconnected from user {u} {ip} port {port}"),
        c.sl(f"sshd[{p}]: pam_unix(sshd:session): session closed for user {u}"),
        c.sl(
            f"systemd-logind[{logind}]: Session {sess} logged out. Waiting for processes to exit."
        ),
        c.sl(f"systemd-logind[{logind}]: Removed session {sess}."),
    ]


def _auth_benign(c: _Ctx) -> Session:
    r = c.rand()
    if r < 0.35:
        return _sshd_login(c)
    if r < 0.7:
        p = c.pid()
        return [
            c.sl(
                f"CRON[{p}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
            ),
            c.sl(f"CRON[{p}]: pam_unix(cron:session): session closed for user root"),
        ]
    if r < 0.9:
        u = c.pick(_LOCAL_USERS)
        cmd = c.pick(
            (
                "/usr/bin/apt update",
                "/usr/bin/systemctl restart nginx",
                "/usr/bin/journalctl -u hyperban",
                "/usr/sbin/nft list ruleset",
            )
        )
        return [
            c.sl(
                f"sudo:    {u} : TTY=pts/{int(c.rand() * 4)} ; PWD=/home/{u} ; USER=root ; "
                f"COMMAND={cmd}"
            ),
            c.sl(
                f"sudo: pam_unix(sudo:session): session opened for user root(uid=0) by "
                f"{u}(uid={1000 + _LOCAL_USERS.index(u)})"
            ),
            c.sl("sudo: pam_unix(sudo:session): session closed for user root"),
        ]
    if r < 0.97:
        p = c.pid()
        u = c.pick(_LOCAL_USERS)
        return [
            c.sl(f"su[{p}]: (to postgres) {u} on pts/1"),
            c.sl(
                f"su[{p}]: pam_unix(su-l:session): session opened for user postgres(uid=114) by "
                f"{u}(uid=0)"
            ),
            c.sl(f"su[{p}]: pam_unix(su-l:session): session closed for user postgres"),
        ]
    p = c.pid()
    c.daemon_pids["sshd"] = p
    return [
        c.sl(f"sshd[{c.dpid('sshd-old')}]: Received signal 15; terminating."),
        c.sl(f"sshd[{p}]: Server listening on 0.0.0.0 port 22."),
        c.sl(f"sshd[{p}]: Server listening on :: port 22."),
    ]


# --------------------------------------------------------------------------------------
# syslog services (one per jail in SYSLOG_JAILS)
# --------------------------------------------------------------------------------------


def _sshd_benign_sys(c: _Ctx) -> Session:
    return _sshd_login(c)


def _dropbear_attack(c: _Ctx) -> Session:
    t = ("dropbear",)
    ip, p, port = c.attacker(), c.pid(), c.port()
    pre = f"dropbear[{p}]: "
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"{pre}Child connection from {ip}:{port}"))
    if c.rand() < 0.3:
        out.append(c.sl(f"{pre}Login attempt for nonexistent user from {ip}:{port}", t))
    else:
        u = "root" if c.rand() < 0.6 else c.pick(_ATTACK_USERS)
        k = 1 + int(c.rand() * 4)
        for _ in range(k):
            out.append(c.sl(f"{pre}Bad password attempt for '{u}' from {ip}:{port}", t))
        if k >= 4:
            out.append(
                c.sl(
                    f"{pre}Exit before auth (user '{u}', {k} fails): Max auth tries "
                    f"reached - user '{u}' from {ip}:{port}",
                    t,
                )
            )
            return out
    if c.maybe():
        out.append(c.sl(f"{pre}Exit before auth from <{ip}:{port}>: Exited normally"))
    return out


def _dropbear_benign(c: _Ctx) -> Session:
    ip, p, port = c.client(), c.pid(), c.port()
    u = c.pick(_LOCAL_USERS)
    pre = f"dropbear[{p}]: "
    if c.rand() < 0.7:
        auth = f"Pubkey auth succeeded for '{u}' with ssh-ed25519 key SHA256:{c.keys[u]} from "
    else:
        auth = f"Password auth succeeded for '{u}' from "
    return [
        c.sl(f"{pre}Child connection from {ip}:{port}"),
        c.sl(f"{pre}{auth}{ip}:{port}"),
        c.sl(f"{pre}Exit ({u}) from <{ip}:{port}>: Disconnect received"),
    ]


def _postfix_attack(c: _Ctx) -> Session:
    t = ("postfix",)
    ip, p = c.attacker(v6=True), c.pid()
    pre = f"postfix/smtpd[{p}]: "
    cl = f"unknown[{ip}]"
    helo = c.pick(_HELOS)
    frm = f"{c.pick(_ATTACK_USERS)}@{c.pick(_DOMAINS)}"
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"{pre}connect from {cl}"))
    if c.maybe() and c.rand() < 0.3:
        out.append(c.sl(f"{pre}warning: {cl}: SASL LOGIN authentication failed: UGFzc3dvcmQ6"))
    k = 1 + int(c.rand() * 3)
    for _ in range(k):
        rcpt = f"{c.pick(_ATTACK_USERS)}@{c.pick(_DOMAINS)}"
        tail = f"from=<{frm}> to=<{rcpt}> proto=ESMTP helo=<{helo}>"
        r = c.rand()
        if r < 0.35:
            msg = (
                f"NOQUEUE: reject: RCPT from {cl}: 554 5.7.1 <{rcpt}>: Relay access denied; {tail}"
            )
        elif r < 0.6:
            msg = (
                f"NOQUEUE: reject: RCPT from {cl}: 550 5.1.1 <{rcpt}>: Recipient address "
                f"rejected: User unknown in virtual mailbox table; {tail}"
            )
        elif r < 0.75:
            msg = (
                f"NOQUEUE: reject: RCPT from {cl}: 450 4.7.1 <{helo}>: Helo command rejected: "
                f"Host not found; {tail}"
            )
        elif r < 0.85:
            msg = (
                f"NOQUEUE: reject: EHLO from {cl}: 504 5.5.2 <{helo}>: Helo command rejected: "
                f"need fully-qualified hostname; proto=SMTP helo=<{helo}>"
            )
        elif r < 0.93:
            msg = (
                f"NOQUEUE: reject: RCPT from {cl}: 450 4.7.25 Client host rejected: cannot "
                f"find your hostname, [{ip}]; {tail}"
            )
        else:
            msg = f"improper command pipelining after EHLO from {cl}: QUIT"
        out.append(c.sl(pre + msg, t))
    if c.maybe():
        out.append(
            c.sl(f"{pre}disconnect from {cl} ehlo=1 mail=1 rcpt=0/{k} quit=1 commands=3/{3 + k}")
        )
    return out


def _postfix_benign(c: _Ctx) -> Session:
    ip = c.client()
    rd = f"mail-{c.hexid(4).lower()}.{c.pick(_DOMAINS)}"
    p, qid = c.pid(), c.hexid(11)
    u, dom = c.pick(_LOCAL_USERS), c.pick(_DOMAINS)
    frm = f"newsletter@{c.pick(_DOMAINS)}"
    size = 2_000 + int(c.rand() * 80_000)
    return [
        c.sl(f"postfix/smtpd[{p}]: connect from {rd}[{ip}]"),
        c.sl(f"postfix/smtpd[{p}]: {qid}: client={rd}[{ip}]"),
        c.sl(f"postfix/cleanup[{c.dpid('cleanup')}]: {qid}: message-id=<{c.hexid(16)}@{dom}>"),
        c.sl(
            f"postfix/qmgr[{c.dpid('qmgr')}]: {qid}: from=<{frm}>, size={size}, nrcpt=1 "
            "(queue active)"
        ),
        c.sl(
            f"postfix/smtpd[{p}]: disconnect from {rd}[{ip}] ehlo=2 starttls=1 mail=1 rcpt=1 "
            "data=1 quit=1 commands=7"
        ),
        c.sl(
            f"postfix/local[{c.pid()}]: {qid}: to=<{u}@{c.host}.example.org>, relay=local, "
            f"delay=0.{int(c.rand() * 90) + 10}, delays=0.08/0.01/0/0.02, dsn=2.0.0, "
            "status=sent (delivered to mailbox)"
        ),
        c.sl(f"postfix/qmgr[{c.dpid('qmgr')}]: {qid}: removed"),
    ]


def _dovecot_attack(c: _Ctx) -> Session:
    t = ("dovecot",)
    ip = c.attacker(v6=True)
    u = c.pick(_ATTACK_USERS)
    if c.rand() < 0.5:
        u = f"{u}@{c.pick(_DOMAINS)}"
    sid = c.b64(12)
    out: Session = []
    r = c.rand()
    if r < 0.4:
        out.append(
            c.sl(
                f"dovecot: auth-worker({c.dpid('dovecot-aw')}): pam({u},{ip},<{sid}>): "
                "pam_authenticate() failed: Authentication failure (password mismatch?)",
                t,
            )
        )
    elif r < 0.7:
        out.append(c.sl(f"dovecot: auth: passwd-file({u},{ip},<{sid}>): unknown user", t))
    proto = "imap" if c.rand() < 0.6 else "pop3"
    n = 1 + int(c.rand() * 3)
    if c.rand() < 0.6:
        out.append(
            c.sl(
                f"dovecot: {proto}-login: Disconnected (auth failed, {n} attempts in "
                f"{2 + n * 3} secs): user=<{u}>, method=PLAIN, rip={ip}, lip={c.lip}, "
                f"TLS, session=<{sid}>",
                t,
            )
        )
    else:
        out.append(
            c.sl(
                f"dovecot: {proto}-login: Aborted login (auth failed, {n} attempts in "
                f"{2 + n * 3} secs): user=<{u}>, method=PLAIN, rip={ip}, lip={c.lip}, "
                f"session=<{sid}>",
                t,
            )
        )
    if c.maybe() and c.rand() < 0.3:
        out.append(
            c.sl(
                f"dovecot: {proto}-login: Disconnected (no auth attempts in 0 secs): "
                f"user=<>, rip={ip}, lip={c.lip}, TLS handshaking: SSL_accept() failed: "
                f"error:0A00010B:SSL routines::wrong version number, "
                f"session=<{c.b64(12)}>"
            )
        )
    return out


def _dovecot_benign(c: _Ctx) -> Session:
    ip = c.client(v6=True)
    u = c.pick(_LOCAL_USERS)
    sid = c.b64(12)
    mp = c.pid()
    if c.rand() < 0.6:
        return [
            c.sl(
                f"dovecot: imap-login: Login: user=<{u}>, method=PLAIN, rip={ip}, lip={c.lip}, "
                f"mpid={mp}, TLS, session=<{sid}>"
            ),
            c.sl(
                f"dovecot: imap({u})<{mp}><{sid}>: Logged out in={int(c.rand() * 900) + 40} "
                f"out={int(c.rand() * 90_000) + 500} deleted=0 expunged=0 trashed=0 hdr_count=0 "
                "hdr_bytes=0 body_count=0 body_bytes=0"
            ),
        ]
    lp = c.pid()
    return [
        c.sl(f"dovecot: lmtp({lp}): Connect from local"),
        c.sl(
            f"dovecot: lmtp({u})<{lp}><{sid}>: msgid=<{c.hexid(12)}@{c.pick(_DOMAINS)}>: "
            "saved mail to INBOX"
        ),
        c.sl(
            f"dovecot: lmtp({lp}): Disconnect from local: Client has quit the connection "
            "(state=READY)"
        ),
    ]


_COURIER_D = ("courierpop3login", "imapd-ssl")


def _courier_auth_attack(c: _Ctx) -> Session:
    t = ("courier-auth",)
    ip, d = c.attacker(), c.pick(_COURIER_D)
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"{d}: Connection, ip=[::ffff:{ip}]"))
    for _ in range(1 + int(c.rand() * 2)):
        if c.rand() < 0.8:
            who = f"user={c.pick(_ATTACK_USERS)}@{c.pick(_DOMAINS)}"
        else:
            who = "method=PLAIN"
        out.append(c.sl(f"{d}: LOGIN FAILED, {who}, ip=[::ffff:{ip}]", t))
    if c.maybe():
        out.append(
            c.sl(f"{d}: DISCONNECTED, ip=[::ffff:{ip}], headers=0, body=0, time=4, starttls=1")
        )
    return out


def _courier_auth_benign(c: _Ctx) -> Session:
    ip, d = c.client(), c.pick(_COURIER_D)
    u = f"{c.pick(_LOCAL_USERS)}@{c.host}.example.org"
    proto = "POP3" if d.startswith("courierpop3") else "IMAP"
    return [
        c.sl(f"{d}: Connection, ip=[::ffff:{ip}]"),
        c.sl(f"{d}: LOGIN, user={u}, ip=[::ffff:{ip}], port=[{c.port()}], protocol={proto}"),
        c.sl(
            f"{d}: LOGOUT, user={u}, ip=[::ffff:{ip}], headers=0, body=0, "
            f"rcvd={int(c.rand() * 900) + 50}, sent={int(c.rand() * 9000) + 300}, time=31, "
            "starttls=1"
        ),
    ]


def _courier_smtp_attack(c: _Ctx) -> Session:
    t = ("courier-smtp",)
    ip = c.attacker()
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"courieresmtpd: started,ip=[::ffff:{ip}]"))
    if c.rand() < 0.5:
        u = f"{c.pick(_ATTACK_USERS)}@{c.pick(_DOMAINS)}"
        out.append(
            c.sl(
                f'courieresmtpd: error,relay=::ffff:{ip},msg="535 Authentication '
                f'failed.",cmd: AUTH LOGIN {u}',
                t,
            )
        )
    else:
        frm = f"{c.pick(_ATTACK_USERS)}@{c.pick(_DOMAINS)}"
        to = f"{c.pick(_ATTACK_USERS)}@{c.host}.example.org"
        out.append(
            c.sl(
                f"courieresmtpd: error,relay=::ffff:{ip},from=<{frm}>,to=<{to}>: 550 User unknown.",
                t,
            )
        )
    return out


def _courier_smtp_benign(c: _Ctx) -> Session:
    ip = c.client()
    frm = f"{c.pick(_LOCAL_USERS)}@{c.pick(_DOMAINS)}"
    to = f"{c.pick(_LOCAL_USERS)}@{c.host}.example.org"
    return [
        c.sl(f"courieresmtpd: started,ip=[::ffff:{ip}]"),
        c.sl(
            f"courieresmtpd: id={c.hexid(8)}.{c.hexid(8)}.{c.hexid(4)},from=<{frm}>,"
            f"addr=<{to}>: 250 Ok. {c.hexid(8)}.{c.hexid(8)}.{c.hexid(4)}"
        ),
    ]


def _cyrus_attack(c: _Ctx) -> Session:
    t = ("cyrus-imap",)
    ip, p = c.attacker(v6=True), c.pid()
    d = "cyrus/imap" if c.rand() < 0.6 else "cyrus/pop3"
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"{d}[{p}]: accepted connection"))
    u = c.pick(_ATTACK_USERS)
    if c.rand() < 0.6:
        out.append(
            c.sl(
                f"{d}[{p}]: badlogin: {c.rdns(ip)} [{ip}] plaintext {u} SASL(-13): "
                "authentication failure: checkpass failed",
                t,
            )
        )
    else:
        out.append(
            c.sl(
                f"{d}[{p}]: badlogin: {c.rdns(ip)} [{ip}] PLAIN [SASL(-13): user not "
                f"found: user: {u}@{c.pick(_DOMAINS)} property: cmusaslsecretPLAIN not "
                "found in sasldb]",
                t,
            )
        )
    return out


def _cyrus_benign(c: _Ctx) -> Session:
    ip, p = c.client(), c.pid()
    u = c.pick(_LOCAL_USERS)
    return [
        c.sl(f"cyrus/imap[{p}]: accepted connection"),
        c.sl(
            f"cyrus/imap[{p}]: login: {c.rdns(ip)} [{ip}] {u} plaintext+TLS User logged in "
            f"SESSIONID=<cyrus-{p}-{c.seq()}-1-{c.hexid(16)}>"
        ),
        c.sl(
            f"cyrus/master[{c.dpid('cyrus-master')}]: process type:SERVICE name:imap "
            f"path:/usr/lib/cyrus/bin/imapd age:{int(c.rand() * 400)}.{int(c.rand() * 999):03d}s "
            f"pid:{p} exited, status 0"
        ),
    ]


def _exim_mid(c: _Ctx) -> str:
    return f"1r{c.b64(3)[:4]}-{c.hexid(6)}-{c.hexid(2)}".replace("/", "x").replace("+", "y")


def _exim_attack(c: _Ctx) -> Session:
    t = ("exim",)
    ip, p, port = c.attacker(v6=True), c.pid(), c.port()
    helo = c.pick(_HELOS)
    pre = f"exim[{p}]: "
    lip = f"[{c.lip}]"
    out: Session = []
    r = c.rand()
    if r < 0.45:
        auth = c.pick(("login", "plain", "dovecot_login", "dovecot_plain"))
        for _ in range(1 + int(c.rand() * 2)):
            u = f"{c.pick(_ATTACK_USERS)}@{c.pick(_DOMAINS)}"
            out.append(
                c.sl(
                    f"{pre}{auth} authenticator failed for ({helo}) [{ip}]:{port} "
                    f"I={lip}:587: 535 Incorrect authentication data (set_id={u})",
                    t,
                )
            )
    elif r < 0.7:
        frm = f"{c.pick(_ATTACK_USERS)}@{c.pick(_DOMAINS)}"
        rcpt = f"{c.pick(_ATTACK_USERS)}@relay-target.example"
        out.append(
            c.sl(
                f"{pre}H=({helo}) [{ip}]:{port} I={lip}:25 F=<{frm}> rejected RCPT "
                f"<{rcpt}>: relay not permitted",
                t,
            )
        )
    elif r < 0.8:
        out.append(
            c.sl(
                f"{pre}SMTP protocol synchronization error (input sent without waiting "
                f"for greeting): rejected connection from H=[{ip}]:{port} I={lip}:25 "
                'input="GET / HTTP/1.1\\r\\n\\r\\n"',
                t,
            )
        )
    elif r < 0.9:
        out.append(
            c.sl(
                f"{pre}SMTP call from [{ip}]:{port} I={lip}:25 dropped: too many "
                'syntax or protocol errors (last command was "AUTH LOGIN")',
                t,
            )
        )
    else:
        out.append(
            c.sl(
                f"{pre}no MAIL in SMTP connection from ({helo}) [{ip}]:{port} "
                f"I={lip}:25 D={int(c.rand() * 40) + 1}s C=EHLO,AUTH",
                t,
            )
        )
    if c.maybe() and r < 0.7:
        out.append(c.sl(f"{pre}SMTP connection from ({helo}) [{ip}]:{port} I={lip}:25 lost"))
    return out


def _exim_benign(c: _Ctx) -> Session:
    ip, p, port = c.client(), c.pid(), c.port()
    mid = _exim_mid(c)
    rd = f"mail-{c.hexid(4).lower()}.{c.pick(_DOMAINS)}"
    u = c.pick(_LOCAL_USERS)
    p2 = c.pid()
    return [
        c.sl(
            f"exim[{p}]: {mid} <= news@{c.pick(_DOMAINS)} H={rd} [{ip}]:{port} I=[{c.lip}]:25 "
            "P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no "
            f"S={int(c.rand() * 90_000) + 900} id={c.hexid(14)}@{c.pick(_DOMAINS)}"
        ),
        c.sl(f"exim[{p}]: SMTP connection from {rd} [{ip}]:{port} I=[{c.lip}]:25 closed by QUIT"),
        c.sl(f"exim[{p2}]: {mid} => {u} <{u}@{c.host}.example.org> R=local_user T=mail_spool"),
        c.sl(f"exim[{p2}]: {mid} Completed"),
    ]


def _sm_qid(c: _Ctx, p: int) -> str:
    letters = "".join(
        c.pick(tuple("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz")) for _ in range(8)
    )
    return f"{letters}{p % 1_000_000:06d}"


def _sm_addr(ip: str) -> str:
    return f"IPv6:{ip}" if ":" in ip else ip


def _sendmail_auth_attack(c: _Ctx) -> Session:
    t = ("sendmail-auth",)
    ip, p = c.attacker(v6=True), c.pid()
    q = _sm_qid(c, p)
    pre = f"sm-mta[{p}]: {q}: "
    rd = c.rdns(ip)
    relay = f"[{_sm_addr(ip)}]" if rd == "unknown" else f"{rd} [{_sm_addr(ip)}]"
    out: Session = []
    k = 1 + int(c.rand() * 3)
    for _ in range(k):
        u = c.pick(_ATTACK_USERS)
        mech = c.pick(("LOGIN", "PLAIN"))
        out.append(
            c.sl(
                f"{pre}AUTH failure ({mech}): authentication failure (-13) SASL(-13): "
                f"authentication failure: checkpass failed, user={u}, relay={relay}",
                t,
            )
        )
    if k == 3 and c.rand() < 0.5:
        out.append(c.sl(f"{pre}{relay}: possible SMTP attack: command=AUTH, count=5", t))
    if c.maybe():
        out.append(c.sl(f"{pre}{relay} did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA"))
    return out


def _sendmail_benign(c: _Ctx) -> Session:
    ip, p = c.client(), c.pid()
    q = _sm_qid(c, p)
    rd = f"mail-{c.hexid(4).lower()}.{c.pick(_DOMAINS)}"
    u = c.pick(_LOCAL_USERS)
    out = [
        c.sl(
            f"sm-mta[{p}]: STARTTLS=server, relay={rd} [{ip}], version=TLSv1.3, verify=NO, "
            "cipher=TLS_AES_256_GCM_SHA384, bits=256/256"
        ),
    ]
    if c.rand() < 0.3:
        out.append(
            c.sl(
                f"sm-mta[{p}]: {q}: AUTH=server, relay={rd} [{ip}], authid={u}, mech=PLAIN, bits=0"
            )
        )
    out += [
        c.sl(
            f"sm-mta[{p}]: {q}: from=<{c.pick(_LOCAL_USERS)}@{c.pick(_DOMAINS)}>, "
            f"size={int(c.rand() * 50_000) + 700}, class=0, nrcpts=1, "
            f"msgid=<{c.hexid(12)}@{c.pick(_DOMAINS)}>, bodytype=8BITMIME, proto=ESMTPS, "
            f"daemon=MTA, tls_verify=NO, auth=NONE, relay={rd} [{ip}]"
        ),
        c.sl(
            f"sm-mta[{c.pid()}]: {q}: to=<{u}@{c.host}.example.org>, delay=00:00:01, "
            f"xdelay=00:00:00, mailer=local, pri={int(c.rand() * 90_000) + 30_000}, "
            "dsn=2.0.0, stat=Sent"
        ),
    ]
    return out


def _sendmail_reject_attack(c: _Ctx) -> Session:
    t = ("sendmail-reject",)
    ip, p = c.attacker(v6=True), c.pid()
    q = _sm_qid(c, p)
    rd = c.rdns(ip)
    a = _sm_addr(ip)
    relay = f"[{a}]" if rd == "unknown" else f"{rd} [{a}]"
    pre = f"sm-mta[{p}]: {q}: "
    r = c.rand()
    rcpt = f"<{c.pick(_ATTACK_USERS)}@{c.pick(_DOMAINS)}>"
    if r < 0.35:
        msg = (
            f"ruleset=check_rcpt, arg1={rcpt}, relay={relay}, reject=550 5.7.1 {rcpt}... "
            "Relaying denied. Proper authentication required."
        )
    elif r < 0.6:
        rcpt = f"<{c.pick(_ATTACK_USERS)}@{c.host}.example.org>"
        msg = (
            f"ruleset=check_rcpt, arg1={rcpt}, relay={relay}, reject=550 5.1.1 {rcpt}... "
            "User unknown"
        )
    elif r < 0.75:
        pre = f"sm-mta[{p}]: "
        msg = (
            f"ruleset=check_relay, arg1=[{ip}], arg2={ip}, relay=[{a}], "
            "reject=421 4.3.2 Connection rate limit exceeded."
        )
    elif r < 0.9:
        msg = f"[{a}]: {c.pick(('VRFY', 'EXPN', 'vrfy'))} root [rejected]"
    else:
        msg = f"rejecting commands from {relay} due to pre-greeting traffic after 0 seconds"
    return [c.sl(pre + msg, t)]


def _proftpd_attack(c: _Ctx) -> Session:
    t = ("proftpd",)
    ip, p = c.attacker(v6=True), c.pid()
    rd = ip if c.rand() < 0.5 else c.rdns(ip)
    if rd == "unknown":
        rd = ip
    pre = f"proftpd[{p}]: {c.fqdn} ({rd}[{ip}]) - "
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"{pre}FTP session opened."))
    k = 1 + int(c.rand() * 3)
    for _ in range(k):
        r = c.rand()
        if r < 0.45:
            out.append(
                c.sl(
                    f"{pre}USER {c.pick(_ATTACK_USERS)}: no such user found from {rd} "
                    f"[{ip}] to {c.lip}:21",
                    t,
                )
            )
        elif r < 0.85:
            out.append(
                c.sl(f"{pre}USER {c.pick(_LOCAL_USERS)} (Login failed): Incorrect password", t)
            )
        else:
            out.append(c.sl(f"{pre}SECURITY VIOLATION: root login attempted", t))
    if k == 3:
        out.append(c.sl(f"{pre}Maximum login attempts (3) exceeded", t))
    if c.maybe():
        out.append(c.sl(f"{pre}FTP session closed."))
    return out


def _proftpd_benign(c: _Ctx) -> Session:
    ip, p = c.client(), c.pid()
    pre = f"proftpd[{p}]: {c.fqdn} ({ip}[{ip}]) - "
    return [
        c.sl(f"{pre}FTP session opened."),
        c.sl(f"{pre}USER {c.pick(_LOCAL_USERS)}: Login successful."),
        c.sl(f"{pre}FTP session closed."),
    ]


def _pureftpd_attack(c: _Ctx) -> Session:
    t = ("pure-ftpd",)
    ip, p = c.attacker(v6=True), c.pid()
    pre = f"pure-ftpd[{p}]: (?@{ip}) "
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"{pre}[INFO] New connection from {ip}"))
    for _ in range(1 + int(c.rand() * 3)):
        out.append(
            c.sl(f"{pre}[WARNING] Authentication failed for user [{c.pick(_ATTACK_USERS)}]", t)
        )
    if c.maybe():
        out.append(c.sl(f"{pre}[INFO] Logout."))
    return out


def _pureftpd_benign(c: _Ctx) -> Session:
    ip, p = c.client(), c.pid()
    u = c.pick(_LOCAL_USERS)
    return [
        c.sl(f"pure-ftpd[{p}]: (?@{ip}) [INFO] New connection from {ip}"),
        c.sl(f"pure-ftpd[{p}]: ({u}@{ip}) [INFO] {u} is now logged in"),
        c.sl(
            f"pure-ftpd[{p}]: ({u}@{ip}) [NOTICE] /srv/ftp/{u}//backup-{c.seq()}.tar.gz "
            f"uploaded  ({int(c.rand() * 9_000_000) + 1000} bytes, "
            f"{int(c.rand() * 9000) + 100}.{int(c.rand() * 9)}KB/sec)"
        ),
        c.sl(f"pure-ftpd[{p}]: ({u}@{ip}) [INFO] Logout."),
    ]


def _vsftpd_attack(c: _Ctx) -> Session:
    t = ("vsftpd",)
    ip, p, p1 = c.attacker(v6=True), c.pid(), c.pid()
    out: Session = []
    if c.maybe():
        out.append(c.sl(f'vsftpd[{p}]: CONNECT: Client "{ip}"'))
    for _ in range(1 + int(c.rand() * 3)):
        u = c.pick(_ATTACK_USERS)
        out.append(
            c.sl(
                f"vsftpd[{p1}]: pam_unix(vsftpd:auth): authentication failure; "
                f"logname= uid=0 euid=0 tty=ftp ruser={u} rhost={ip}",
                t,
            )
        )
        if c.maybe():
            out.append(c.sl(f'vsftpd[{p1}]: [{u}] FAIL LOGIN: Client "{ip}"'))
    return out


def _vsftpd_benign(c: _Ctx) -> Session:
    ip, p, p1 = c.client(), c.pid(), c.pid()
    u = c.pick(_LOCAL_USERS)
    return [
        c.sl(f'vsftpd[{p}]: CONNECT: Client "{ip}"'),
        c.sl(f'vsftpd[{p1}]: [{u}] OK LOGIN: Client "{ip}"'),
        c.sl(
            f'vsftpd[{p1}]: [{u}] OK UPLOAD: Client "{ip}", "/upload/report-{c.seq()}.csv", '
            f"{int(c.rand() * 900_000) + 100} bytes, {int(c.rand() * 9000) + 10}.{c.seq() % 10}"
            "Kbyte/sec"
        ),
    ]


_QNAMES = ("example.org", "www.example.org", "mail.example.org", "example.com", "isc.org",
           "sl", "google.com", "cloudflare.com", ".")  # fmt: skip


def _named_attack(c: _Ctx) -> Session:
    t = ("named-refused",)
    ip = c.attacker(v6=True)
    pre = f"named[{c.dpid('named')}]: client @0x7f{c.hexid(10).lower()} {ip}#{c.port()}"
    out: Session = []
    for _ in range(1 + int(c.rand() * 3)):
        q = c.pick(_QNAMES)
        if c.rand() < 0.8:
            rr = c.pick(("A", "ANY", "NS", "TXT", "DNSKEY"))
            out.append(c.sl(f"{pre} ({q}): query (cache) '{q}/{rr}/IN' denied", t))
        else:
            out.append(c.sl(f"{pre} ({q}): zone transfer '{q}/AXFR/IN' denied", t))
    return out


def _named_benign(c: _Ctx) -> Session:
    ip = c.client(v6=True)
    dp = c.dpid("named")
    q = c.pick(("example.org", "www.example.org", "mail.example.org"))
    h = c.hexid(10).lower()
    lip = c.lip6 if ":" in ip else c.lip
    out = [
        c.sl(
            f"named[{dp}]: client @0x7f{h} {ip}#{c.port()} ({q}): query: {q} IN "
            f"{c.pick(('A', 'AAAA', 'MX'))} +E(0)K ({lip})"
        )
    ]
    if c.rand() < 0.15:
        serial = 2023111400 + c.seq() % 99
        out.append(c.sl(f"named[{dp}]: zone example.org/IN: sending notifies (serial {serial})"))
    return out


def _asterisk_attack(c: _Ctx) -> Session:
    t = ("asterisk",)
    ip, port = c.attacker(), c.port()
    ap = c.dpid("asterisk")
    th = c.dpid("asterisk-sip")
    ext = str(100 + int(c.rand() * 900))
    out: Session = []
    r = c.rand()
    for _ in range(1 + int(c.rand() * 3)):
        if r < 0.45:
            why = c.pick(
                ("Wrong password", "No matching peer found", "Username/auth name mismatch")
            )
            out.append(
                c.sl(
                    f"asterisk[{ap}]: NOTICE[{th}]: chan_sip.c:{24000 + th % 999} in "
                    f"handle_request_register: Registration from '<sip:{ext}@{c.lip}>' "
                    f"failed for '{ip}:{port}' - {why}",
                    t,
                )
            )
        elif r < 0.8:
            out.append(
                c.sl(
                    f"asterisk[{ap}]: NOTICE[{th}]: res_pjsip/pjsip_distributor.c:676 "
                    f"log_failed_request: Request 'REGISTER' from '\"{ext}\" "
                    f"<sip:{ext}@{c.lip}>' failed for '{ip}:{port}' (callid: "
                    f"{c.hexid(16).lower()}) - No matching endpoint found",
                    t,
                )
            )
        else:
            num = f"00{int(c.rand() * 1e11):011d}"
            out.append(
                c.sl(
                    f"asterisk[{ap}]: NOTICE[{th}][C-{c.hexid(8).lower()}]: chan_sip.c:"
                    f"{26000 + th % 999} in handle_request_invite: Call from '' "
                    f"({ip}:{port}) to extension '{num}' rejected because extension not "
                    "found in context 'public'.",
                    t,
                )
            )
    return out


def _asterisk_benign(c: _Ctx) -> Session:
    ap = c.dpid("asterisk")
    th = c.dpid("asterisk-sip")
    ext = str(100 + int(c.rand() * 20))
    if c.rand() < 0.5:
        return [
            c.sl(
                f"asterisk[{ap}]: NOTICE[{th}]: chan_sip.c:{29000 + th % 999} in "
                f"handle_response_peerpoke: Peer '{ext}' is now Reachable. "
                f"({int(c.rand() * 60) + 2}ms / 2000ms)"
            )
        ]
    ip = c.client()
    return [
        c.sl(
            f"asterisk[{ap}]: VERBOSE[{th}]: res_pjsip/pjsip_registrar.c:1150 "
            f"register_aor_core: -- Added contact 'sip:{ext}@{ip}:{c.port()};ob' to AOR "
            f"'{ext}' with expiration of 300 seconds"
        )
    ]


_clock_iso = _make_clock(_fmt_iso)
_clock_haproxy = _make_clock(_fmt_haproxy, 3)
_clock_hms = _make_clock(_fmt_hms)


def _mysqld_attack(c: _Ctx) -> Session:
    t = ("mysqld-auth",)
    ip = c.attacker(v6=True)
    mp = c.dpid("mysqld")
    out: Session = []
    for _ in range(1 + int(c.rand() * 4)):
        u = c.pick(("root", "root", "admin", "mysql", "test", "wordpress", "backup"))
        pw = "YES" if c.rand() < 0.85 else "NO"
        out.append(
            (
                "",
                f"{c.hp}mysqld[{mp}]: ",
                t,
                _clock_iso,
                f" {c.seq() % 90_000} [Warning] Access denied for user '{u}'@'{ip}' "
                f"(using password: {pw})",
            )
        )
    return out


def _mysqld_benign(c: _Ctx) -> Session:
    mp = c.dpid("mysqld")
    th = c.seq() % 90_000
    db = c.pick(("wordpress", "nextcloud", "app"))
    msg = c.pick(
        (
            f"[Warning] Aborted connection {th} to db: '{db}' user: '{db}' host: 'localhost' "
            "(Got timeout reading communication packets)",
            f"[Warning] Aborted connection {th} to db: '{db}' user: '{db}' host: '10.0.0.12' "
            "(Got an error reading communication packets)",
            "[Note] InnoDB: Buffer pool(s) dump completed",
        )
    )
    return [("", f"{c.hp}mysqld[{mp}]: ", _NONE, _clock_iso, f" {th} {msg}")]


def _uwimap_attack(c: _Ctx) -> Session:
    t = ("uwimap-auth",)
    ip, p = c.attacker(v6=True), c.pid()
    d = "imapd" if c.rand() < 0.6 else "ipop3d"
    rd = c.rdns(ip)
    out: Session = []
    if c.maybe():
        out.append(
            c.sl(f"{d}[{p}]: {'imaps' if d == 'imapd' else 'pop3s'} SSL service init from {ip}")
        )
    for _ in range(1 + int(c.rand() * 3)):
        u = c.pick(_ATTACK_USERS)
        out.append(c.sl(f"{d}[{p}]: Login failed user={u} auth={u} host={rd} [{ip}]", t))
    if c.maybe():
        out.append(
            c.sl(
                f"{d}[{p}]: Command stream end of file while reading line user=??? host={rd} [{ip}]"
            )
        )
    return out


def _uwimap_benign(c: _Ctx) -> Session:
    ip, p = c.client(), c.pid()
    u = c.pick(_LOCAL_USERS)
    rd = c.rdns(ip)
    if c.rand() < 0.5:
        return [
            c.sl(f"imapd[{p}]: imaps SSL service init from {ip}"),
            c.sl(f"imapd[{p}]: Login user={u} host={rd} [{ip}]"),
            c.sl(f"imapd[{p}]: Logout user={u} host={rd} [{ip}]"),
        ]
    n = 1 + int(c.rand() * 9)
    return [
        c.sl(f"ipop3d[{p}]: pop3s SSL service init from {ip}"),
        c.sl(f"ipop3d[{p}]: Login user={u} host={rd} [{ip}] nmsgs={n}/{n}"),
        c.sl(f"ipop3d[{p}]: Logout user={u} host={rd} [{ip}] nmsgs=0 ndele={n}"),
    ]


def _solid_attack(c: _Ctx) -> Session:
    t = ("solid-pop3d",)
    ip, p = c.attacker(v6=True), c.pid()
    out: Session = []
    for _ in range(1 + int(c.rand() * 2)):
        u = c.pick(_ATTACK_USERS)
        if c.rand() < 0.5:
            out.append(
                c.sl(f"solid-pop3d[{p}]: authentication failed: no such user: {u} - {ip}", t)
            )
        else:
            out.append(c.sl(f"solid-pop3d[{p}]: authentication failed for user {u} - {ip}", t))
    return out


def _solid_benign(c: _Ctx) -> Session:
    ip, p = c.client(), c.pid()
    return [
        c.sl(f"solid-pop3d[{p}]: connection from {ip}"),
        c.sl(f"solid-pop3d[{p}]: user {c.pick(_LOCAL_USERS)} logged in - {ip}"),
    ]


def _sieve_attack(c: _Ctx) -> Session:
    t = ("sieve",)
    ip, p = c.attacker(v6=True), c.pid()
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"cyrus/timsieved[{p}]: accepted connection"))
    for _ in range(1 + int(c.rand() * 2)):
        out.append(
            c.sl(
                f"cyrus/timsieved[{p}]: badlogin: {c.rdns(ip)}[{ip}] "
                f"{c.pick(('PLAIN', 'LOGIN'))} authentication failure",
                t,
            )
        )
    return out


def _sieve_benign(c: _Ctx) -> Session:
    ip, p = c.client(), c.pid()
    return [
        c.sl(f"cyrus/timsieved[{p}]: accepted connection"),
        c.sl(
            f"cyrus/timsieved[{p}]: login: {c.rdns(ip)}[{ip}] {c.pick(_LOCAL_USERS)} PLAIN "
            "User logged in"
        ),
    ]


def _perdition_attack(c: _Ctx) -> Session:
    t = ("perdition",)
    ip, p, port = c.attacker(), c.pid(), c.port()
    pre = f"perdition.imaps[{p}]: "
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"{pre}Connect: {ip}:{port}->{c.lip}:993"))
    if c.rand() < 0.75:
        u = f"{c.pick(_ATTACK_USERS)}@{c.pick(_DOMAINS)}"
        out.append(
            c.sl(
                f"{pre}Auth: {ip}:{port}->{c.lip}:993 client-secure=ssl "
                f'authorisation_id=NONE authentication_id="{u}" '
                f'server="imap.example.org:993" protocol=IMAP4S server-secure=ssl '
                'status="failed: Re-Authentication Failure"',
                t,
            )
        )
    else:
        out.append(
            c.sl(
                f"{pre}Fatal Error reading authentication information from client "
                f"{ip}:{port}->{c.lip}:993: Exiting child",
                t,
            )
        )
    return out


def _perdition_benign(c: _Ctx) -> Session:
    ip, p, port = c.client(), c.pid(), c.port()
    pre = f"perdition.imaps[{p}]: "
    u = f"{c.pick(_LOCAL_USERS)}@{c.host}.example.org"
    return [
        c.sl(f"{pre}Connect: {ip}:{port}->{c.lip}:993"),
        c.sl(
            f"{pre}Auth: {ip}:{port}->{c.lip}:993 client-secure=ssl authorisation_id=NONE "
            f'authentication_id="{u}" server="imap.example.org:993" protocol=IMAP4S '
            'server-secure=ssl status="ok"'
        ),
        c.sl(
            f'{pre}Close: {ip}:{port}->{c.lip}:993 user="{u}" received={c.seq() % 9000} '
            f"sent={c.seq() % 90_000}"
        ),
    ]


def _webmin_attack(c: _Ctx) -> Session:
    t = ("webmin-auth",)
    ip, p = c.attacker(v6=True), c.pid()
    out: Session = []
    for _ in range(1 + int(c.rand() * 3)):
        if c.rand() < 0.5:
            out.append(c.sl(f"webmin[{p}]: Invalid login as root from {ip}", t))
        else:
            out.append(
                c.sl(f"webmin[{p}]: Non-existent login as {c.pick(_ATTACK_USERS)} from {ip}", t)
            )
    return out


def _webmin_benign(c: _Ctx) -> Session:
    ip, p = c.client(v6=True), c.pid()
    return [c.sl(f"webmin[{p}]: Successful login as {c.pick(_LOCAL_USERS)} from {ip}")]


def _wuftpd_attack(c: _Ctx) -> Session:
    t = ("wuftpd",)
    ip, p = c.attacker(), c.pid()
    rd = c.rdns(ip)
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"wu-ftpd[{p}]: connect from {ip} ({rd})"))
    for _ in range(1 + int(c.rand() * 2)):
        u = c.pick(_ATTACK_USERS)
        out.append(
            c.sl(
                f"wu-ftpd[{p}]: pam_unix(wu-ftpd:auth): authentication failure; logname= "
                f"uid=0 euid=0 tty= ruser= rhost={ip}  user={u}",
                t,
            )
        )
        out.append(c.sl(f"wu-ftpd[{p}]: failed login from {rd} [{ip}]", t))
    return out


def _wuftpd_benign(c: _Ctx) -> Session:
    ip, p = c.client(), c.pid()
    rd = c.rdns(ip)
    return [
        c.sl(f"wu-ftpd[{p}]: connect from {ip} ({rd})"),
        c.sl(f"wu-ftpd[{p}]: FTP LOGIN FROM {rd} [{ip}], {c.pick(_LOCAL_USERS)}"),
        c.sl(f"wu-ftpd[{p}]: FTP session closed"),
    ]


def _xinetd_attack(c: _Ctx) -> Session:
    t = ("xinetd-fail",)
    ip = c.attacker(v6=True)
    xp = c.dpid("xinetd")
    svc = c.pick(("telnet", "rsync", "tftp", "amanda"))
    kind = "address" if c.rand() < 0.6 else "libwrap"
    return [
        c.sl(f"xinetd[{xp}]: FAIL: {svc} {kind} from={ip}", t) for _ in range(1 + int(c.rand() * 3))
    ]


def _xinetd_benign(c: _Ctx) -> Session:
    ip = c.client()
    xp = c.dpid("xinetd")
    n = c.pid()
    return [
        c.sl(f"xinetd[{xp}]: START: rsync pid={n} from={ip}"),
        c.sl(f"xinetd[{xp}]: EXIT: rsync status=0 pid={n} duration={int(c.rand() * 300)}(sec)"),
    ]


def _gssftpd_attack(c: _Ctx) -> Session:
    t = ("gssftpd",)
    ip, p = c.attacker(v6=True), c.pid()
    rd = c.rdns(ip)
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"ftpd[{p}]: connection from {ip} ({rd})"))
    out.append(c.sl(f"ftpd[{p}]: repeated login failures from {ip} ({rd})", t))
    return out


def _gssftpd_benign(c: _Ctx) -> Session:
    ip, p = c.client(), c.pid()
    rd = c.rdns(ip)
    return [
        c.sl(f"ftpd[{p}]: connection from {ip} ({rd})"),
        c.sl(f"ftpd[{p}]: FTP LOGIN FROM {ip} ({rd}), {c.pick(_LOCAL_USERS)}"),
    ]


def _nagios_attack(c: _Ctx) -> Session:
    ip, p = c.attacker(v6=True), c.pid()
    return [c.sl(f"nrpe[{p}]: Host {ip} is not allowed to talk to us!", ("nagios",))]


def _nagios_benign(c: _Ctx) -> Session:
    p = c.pid()
    ip = f"10.0.0.{int(c.rand() * 5) + 2}"
    cmd = c.pick(("check_load", "check_disk", "check_users", "check_procs"))
    return [
        c.sl(f"nrpe[{p}]: Connection from {ip} port {c.port()}"),
        c.sl(f"nrpe[{p}]: Host {ip} is asking for command '{cmd}' to be run..."),
    ]


def _scanlogd_attack(c: _Ctx) -> Session:
    ip = c.attacker()
    ports = ", ".join(str(x) for x in sorted(c.rng.sample(range(1, 10_000), 6)))
    flags = c.pick(("fSrpauxy", "f????uxy"))
    return [
        (
            "",
            f"{c.hp}scanlogd: {ip} to {c.lip} ports {ports}, ..., {flags}, TOS 00, "
            f"TTL {int(c.rand() * 200) + 30} @",
            ("scanlogd",),
            _clock_hms,
            "",
        )
    ]


def _scanlogd_benign(c: _Ctx) -> Session:
    return [c.sl("scanlogd: More possible port scans follow")]


def _pma_attack(c: _Ctx) -> Session:
    t = ("phpmyadmin-syslog",)
    ip, p = c.attacker(v6=True), c.pid()
    return [
        c.sl(
            f"phpMyAdmin[{p}]: user denied: {c.pick(('root', 'admin', 'pma', 'mysql'))} "
            f"(mysql-denied) from {ip}",
            t,
        )
        for _ in range(1 + int(c.rand() * 3))
    ]


def _pma_benign(c: _Ctx) -> Session:
    ip, p = c.client(v6=True), c.pid()
    return [c.sl(f"phpMyAdmin[{p}]: user authenticated: {c.pick(_LOCAL_USERS)} from {ip}")]


def _haproxy_attack(c: _Ctx) -> Session:
    t = ("haproxy-http-auth",)
    ip = c.attacker()
    hp = c.dpid("haproxy")
    out: Session = []
    for _ in range(1 + int(c.rand() * 3)):
        path = c.pick(("/", "/admin/", "/stats", "/manager/html"))
        out.append(
            (
                "",
                f"{c.hp}haproxy[{hp}]: {ip}:{c.port()} [",
                t,
                _clock_haproxy,
                f"] www www/<NOSRV> -1/-1/-1/-1/{int(c.rand() * 9)} 401 248 - - PR-- "
                f'1/1/0/0/0 0/0 "GET {path} HTTP/1.1"',
            )
        )
    return out


def _haproxy_benign(c: _Ctx) -> Session:
    ip = c.client()
    hp = c.dpid("haproxy")
    tt = int(c.rand() * 90) + 3
    path, _ = c.rng.choice(_SITE_PATHS)
    return [
        (
            "",
            f"{c.hp}haproxy[{hp}]: {ip}:{c.port()} [",
            _NONE,
            _clock_haproxy,
            f"] www app/web{int(c.rand() * 3) + 1} 0/0/1/{tt - 2}/{tt} 200 "
            f'{int(c.rand() * 90_000) + 200} - - ---- 3/3/0/0/0 0/0 "GET {path} HTTP/1.1"',
        )
    ]


def _monit_attack(c: _Ctx) -> Session:
    t = ("monit",)
    ip = c.attacker()
    mp = c.dpid("monit")
    pre = f"monit[{mp}]: HttpRequest: access denied -- client {ip}: "
    out: Session = []
    if c.maybe():
        out.append(c.sl(f"{pre}missing or invalid Authorization header"))
    for _ in range(1 + int(c.rand() * 3)):
        r = c.rand()
        if r < 0.5:
            out.append(c.sl(f"{pre}wrong password for user 'admin'", t))
        elif r < 0.9:
            out.append(c.sl(f"{pre}unknown user '{c.pick(_ATTACK_USERS)}'", t))
        else:
            out.append(c.sl(f"{pre}empty password", t))
    return out


def _monit_benign(c: _Ctx) -> Session:
    mp = c.dpid("monit")
    if c.rand() < 0.5:
        return [
            c.sl(
                f"monit[{mp}]: HttpRequest: access denied -- client {c.client()}: missing "
                "or invalid Authorization header"
            )
        ]
    return [
        c.sl(
            f"monit[{mp}]: 'rootfs' space usage {80 + c.rand() * 5:.1f}% matches resource "
            "limit [space usage > 80.0%]"
        )
    ]


def _froxlor_attack(c: _Ctx) -> Session:
    t = ("froxlor-auth",)
    ip = c.attacker(v6=True)
    out: Session = []
    for _ in range(1 + int(c.rand() * 3)):
        if c.rand() < 0.5:
            out.append(
                c.sl(
                    f"Froxlor: [Login Action {ip}] Unknown user "
                    f"'{c.pick(_ATTACK_USERS)}' tried to login.",
                    t,
                )
            )
        else:
            out.append(
                c.sl(
                    f"Froxlor: [Login Action {ip}] User 'admin' tried to login with wrong "
                    "password.",
                    t,
                )
            )
    return out


def _froxlor_benign(c: _Ctx) -> Session:
    return [
        c.sl(
            f"Froxlor: [Login Action {c.client(v6=True)}] User '{c.pick(_LOCAL_USERS)}' "
            "logged in successfully."
        )
    ]


def _system_noise(c: _Ctx) -> Session:
    r = c.rand()
    if r < 0.3:
        p = c.pid()
        return [
            c.sl(f"CRON[{p}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"),
        ]
    if r < 0.55:
        src = c.attacker() if c.rand() < 0.5 else c.client()
        up = c.rand() * 900_000
        return [
            c.sl(
                f"kernel: [{up:.6f}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:"
                f"52:54:00:65:43:21:08:00 SRC={src} DST={c.lip} LEN=44 TOS=0x00 PREC=0x00 "
                f"TTL={int(c.rand() * 200) + 30} ID={c.seq() % 65536} PROTO=TCP "
                f"SPT={c.port()} DPT={c.pick(('23', '3389', '5900', '8080', '445'))} "
                "WINDOW=1024 RES=0x00 SYN URGP=0"
            )
        ]
    if r < 0.75:
        unit = c.pick(
            ("logrotate.service", "apt-daily.service", "man-db.service", "phpsessionclean.service")
        )
        return [
            c.sl(f"systemd[1]: Starting {unit} - {unit.split('.')[0]}..."),
            c.sl(f"systemd[1]: {unit}: Deactivated successfully."),
            c.sl(f"systemd[1]: Finished {unit} - {unit.split('.')[0]}."),
        ]
    if r < 0.9:
        return [
            c.sl(
                f'rsyslogd[{c.dpid("rsyslogd")}]: [origin software="rsyslogd" '
                'swVersion="8.2302.0" x-pid="612" x-info="https://www.rsyslog.com"] '
                "rsyslogd was HUPed"
            )
        ]
    return [
        c.sl(
            f"dhclient[{c.dpid('dhclient')}]: DHCPACK of 203.0.113.25 from 203.0.113.1 "
            f"(xid=0x{c.hexid(8).lower()})"
        ),
        c.sl(
            f"dhclient[{c.dpid('dhclient')}]: bound to 203.0.113.25 -- renewal in "
            f"{int(c.rand() * 40_000)} seconds."
        ),
    ]


SessionFn = Callable[[_Ctx], Session]

# filter -> (weight, attack builder, benign builder)
_SYSLOG_SERVICES: dict[str, tuple[float, SessionFn, SessionFn]] = {
    "sshd": (4.0, _sshd_attack, _sshd_benign_sys),
    "dropbear": (1.0, _dropbear_attack, _dropbear_benign),
    "postfix": (3.0, _postfix_attack, _postfix_benign),
    "dovecot": (3.0, _dovecot_attack, _dovecot_benign),
    "courier-auth": (1.0, _courier_auth_attack, _courier_auth_benign),
    "courier-smtp": (1.0, _courier_smtp_attack, _courier_smtp_benign),
    "cyrus-imap": (1.0, _cyrus_attack, _cyrus_benign),
    "exim": (2.0, _exim_attack, _exim_benign),
    "sendmail-auth": (1.0, _sendmail_auth_attack, _sendmail_benign),
    "sendmail-reject": (1.0, _sendmail_reject_attack, _sendmail_benign),
    "proftpd": (1.0, _proftpd_attack, _proftpd_benign),
    "pure-ftpd": (1.0, _pureftpd_attack, _pureftpd_benign),
    "vsftpd": (1.0, _vsftpd_attack, _vsftpd_benign),
    "named-refused": (2.0, _named_attack, _named_benign),
    "asterisk": (1.5, _asterisk_attack, _asterisk_benign),
    "mysqld-auth": (1.0, _mysqld_attack, _mysqld_benign),
    "uwimap-auth": (1.0, _uwimap_attack, _uwimap_benign),
    "solid-pop3d": (1.0, _solid_attack, _solid_benign),
    "sieve": (1.0, _sieve_attack, _sieve_benign),
    "perdition": (1.0, _perdition_attack, _perdition_benign),
    "webmin-auth": (1.0, _webmin_attack, _webmin_benign),
    "wuftpd": (1.0, _wuftpd_attack, _wuftpd_benign),
    "xinetd-fail": (1.0, _xinetd_attack, _xinetd_benign),
    "gssftpd": (1.0, _gssftpd_attack, _gssftpd_benign),
    "nagios": (1.0, _nagios_attack, _nagios_benign),
    "scanlogd": (1.0, _scanlogd_attack, _scanlogd_benign),
    "phpmyadmin-syslog": (1.0, _pma_attack, _pma_benign),
    "haproxy-http-auth": (1.0, _haproxy_attack, _haproxy_benign),
    "monit": (1.0, _monit_attack, _monit_benign),
    "froxlor-auth": (1.0, _froxlor_attack, _froxlor_benign),
}
assert list(_SYSLOG_SERVICES) == SYSLOG_JAILS


def _weighted(items: list[tuple[float, SessionFn]]) -> SessionFn:
    cum: list[float] = []
    fns: list[SessionFn] = []
    acc = 0.0
    for w, fn in items:
        acc += w
        cum.append(acc)
        fns.append(fn)

    def pick(c: _Ctx) -> Session:
        return fns[bisect.bisect(cum, c.rand() * acc)](c)

    return pick


_syslog_attack = _weighted([(w, a) for w, a, _ in _SYSLOG_SERVICES.values()])
_syslog_benign = _weighted(
    [(w, b) for w, _, b in _SYSLOG_SERVICES.values()] + [(4.0, _system_noise)]
)


# --------------------------------------------------------------------------------------
# web access logs (nginx / apache combined format)
# --------------------------------------------------------------------------------------

_T_BOT = ("nginx-botsearch",)
_T_400 = ("nginx-bad-request",)
_T_FOPEN = ("php-url-fopen",)
_T_BADBOT = ("apache-badbots",)


def _acc(
    ip: str,
    req: str,
    status: int,
    size: int | str,
    ref: str,
    ua: str,
    tags: tuple[str, ...] = (),
    user: str = "-",
) -> Entry:
    return (f"{ip} - {user} [", f'] "{req}" {status} {size} "{ref}" "{ua}"', tags, None, "")


def _web_benign(c: _Ctx, apache: bool) -> Session:
    ip = c.client(v6=True)
    ua = c.pick(_BROWSER_UAS)
    r = c.rand()
    if apache and r < 0.05:
        return [
            _acc(
                "::1",
                "OPTIONS * HTTP/1.0",
                200,
                126,
                "-",
                "Apache/2.4.57 (Debian) (internal dummy connection)",
            )
        ]
    if r < 0.12:
        return [_acc(ip, "GET /favicon.ico HTTP/1.1", 404, 153 if not apache else 196, "-", ua)]
    path, typ = c.rng.choice(_SITE_PATHS)
    ref = c.pick(_REFERERS)
    status = 200 if c.rand() < 0.85 else 304
    size: int | str = int(c.rand() * 40_000) + 500 if status == 200 else (0 if not apache else "-")
    method = "GET" if c.rand() < 0.93 else "POST"
    out = [
        _acc(
            ip,
            f"{method} {path} HTTP/1.1"
            if method == "GET" or typ == "api"
            else f"POST {path} HTTP/2.0",
            status,
            size,
            ref,
            ua,
        )
    ]
    if typ == "text":
        page = f"https://www.example.org{path}"
        for asset in c.rng.sample(_ASSETS, 1 + int(c.rand() * 4)):
            st = 200 if c.rand() < 0.7 else 304
            sz: int | str = (
                int(c.rand() * 90_000) + 300 if st == 200 else (0 if not apache else "-")
            )
            out.append(_acc(ip, f"GET {asset} HTTP/1.1", st, sz, page, ua))
    return out


def _web_attack(c: _Ctx, apache: bool) -> Session:
    ip = c.attacker(v6=True)
    r = c.rand()
    out: Session = []
    if r < 0.5:  # vulnerability scanner probing well-known admin paths
        ua = c.pick(_SCANNER_UAS)
        if c.maybe():
            out.append(_acc(ip, "GET / HTTP/1.1", 200, 3_412, "-", ua))
        for path in c.rng.sample(_SCAN_PATHS, 1 + int(c.rand() * 5)):
            method = "GET" if c.rand() < 0.85 else ("POST" if c.rand() < 0.5 else "HEAD")
            out.append(
                _acc(
                    ip,
                    f"{method} {path} HTTP/1.1",
                    404,
                    162 if not apache else 274,
                    "-",
                    ua,
                    _T_BOT,
                )
            )
            if c.maybe() and c.rand() < 0.3:
                out.append(_acc(ip, f"GET {c.pick(_NOISE_PATHS)} HTTP/1.1", 404, 162, "-", ua))
    elif r < 0.7:  # garbage / TLS / RDP on the HTTP port
        req = c.pick(
            (
                "\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03\\x9B\\x1C",
                "SSH-2.0-Go",
                "\\x03\\x00\\x00/*\\xE0\\x00\\x00\\x00\\x00\\x00Cookie: mstshash=Administr",
                "",
                "GET /../../../../etc/passwd HTTP/1.1",
                "MGLNDD_203.0.113.25_80",
            )
        )
        for _ in range(1 + int(c.rand() * 2)):
            out.append(_acc(ip, req, 400, 157 if not apache else 226, "-", "-", _T_400))
    elif r < 0.85:  # remote file inclusion attempts
        ua = c.pick(_SCANNER_UAS)
        for _ in range(1 + int(c.rand() * 3)):
            script = c.pick(
                (
                    "/index.php?page=",
                    "/modules/mod_main.php?path=",
                    "/includes/header.php?inc=",
                    "/?option=com_content&view=",
                )
            )
            evil = c.pick(_EVIL_HOSTS)
            status = c.pick((200, 404, 404))
            out.append(
                _acc(
                    ip,
                    f"GET {script}http://{evil}/shell.txt? HTTP/1.1",
                    status,
                    4_021 if status == 200 else 162,
                    "-",
                    ua,
                    _T_FOPEN,
                )
            )
    else:  # e-mail harvesting bot
        ua = c.pick(_BAD_BOT_UAS)
        for _ in range(1 + int(c.rand() * 4)):
            path, _ = c.rng.choice(_SITE_PATHS)
            out.append(
                _acc(
                    ip,
                    f"GET {path} HTTP/1.0",
                    200,
                    int(c.rand() * 30_000) + 900,
                    "-",
                    ua,
                    _T_BADBOT,
                )
            )
    return out


def _nginx_benign(c: _Ctx) -> Session:
    return _web_benign(c, False)


def _nginx_attack(c: _Ctx) -> Session:
    return _web_attack(c, False)


def _apache_benign(c: _Ctx) -> Session:
    return _web_benign(c, True)


def _apache_attack(c: _Ctx) -> Session:
    return _web_attack(c, True)


# --------------------------------------------------------------------------------------
# nginx error.log
# --------------------------------------------------------------------------------------

_SRV = "www.example.org"


def _ngx(c: _Ctx, level: str, msg: str, tags: tuple[str, ...] = ()) -> Entry:
    i = int(c.rand() * 4)
    w = c.strcache.get(f"ngx{i}")
    if w is None:
        p = c.dpid(f"nginx-worker-{i}")
        w = c.strcache[f"ngx{i}"] = f"{p}#{p}"
    return ("", f" [{level}] {w}: *{c.seq()} {msg}", tags, None, "")


def _ngx_tail(ip: str, req: str) -> str:
    return f', client: {ip}, server: {_SRV}, request: "{req}", host: "{_SRV}"'


def _nginx_error_attack(c: _Ctx) -> Session:
    ip = c.attacker(v6=True)
    r = c.rand()
    out: Session = []
    if r < 0.45:
        t = ("nginx-http-auth",)
        if c.maybe():
            out.append(
                _ngx(
                    c,
                    "error",
                    "no user/password was provided for basic authentication"
                    + _ngx_tail(ip, "GET /private/ HTTP/1.1"),
                )
            )
        for _ in range(1 + int(c.rand() * 4)):
            if c.rand() < 0.5:
                msg = f'user "{c.pick(_ATTACK_USERS)}" was not found in "/etc/nginx/.htpasswd"'
            else:
                msg = f'user "{c.pick(_LOCAL_USERS)}": password mismatch'
            out.append(_ngx(c, "error", msg + _ngx_tail(ip, "GET /private/ HTTP/1.1"), t))
    elif r < 0.7:
        t = ("nginx-limit-req",)
        for _ in range(1 + int(c.rand() * 5)):
            out.append(
                _ngx(
                    c,
                    "error",
                    f"limiting requests, excess: {5 + c.rand() * 20:.3f} by "
                    'zone "login"' + _ngx_tail(ip, "POST /api/login HTTP/1.1"),
                    t,
                )
            )
    else:
        for path in c.rng.sample(_SCAN_PATHS, 1 + int(c.rand() * 4)):
            if path.endswith("/"):
                msg = f'"/var/www/html{path}index.html" is not found (2: No such file or directory)'
            else:
                msg = f'open() "/var/www/html{path}" failed (2: No such file or directory)'
            out.append(_ngx(c, "error", msg + _ngx_tail(ip, f"GET {path} HTTP/1.1"), _T_BOT))
    return out


def _nginx_error_benign(c: _Ctx) -> Session:
    ip = c.client(v6=True)
    r = c.rand()
    if r < 0.3:
        return [
            _ngx(
                c,
                "error",
                'open() "/var/www/html/favicon.ico" failed (2: No such file or '
                "directory)" + _ngx_tail(ip, "GET /favicon.ico HTTP/1.1"),
            )
        ]
    if r < 0.45:
        return [
            _ngx(
                c,
                "error",
                "no user/password was provided for basic authentication"
                + _ngx_tail(ip, "GET /private/ HTTP/1.1"),
            )
        ]
    if r < 0.6:
        return [
            _ngx(
                c,
                "warn",
                f'delaying request, excess: {c.rand():.3f}, by zone "login"'
                + _ngx_tail(ip, "POST /api/login HTTP/1.1"),
            )
        ]
    if r < 0.75:
        return [
            _ngx(
                c,
                "info",
                f"client closed connection while waiting for request, client: "
                f"{ip}, server: 0.0.0.0:443",
            )
        ]
    if r < 0.9:
        return [
            _ngx(
                c,
                "error",
                "upstream timed out (110: Connection timed out) while reading "
                "response header from upstream"
                + _ngx_tail(ip, "GET /api/report HTTP/1.1").replace(
                    ", host:", ', upstream: "http://127.0.0.1:8080/api/report", host:'
                ),
            )
        ]
    m = c.dpid("nginx-master")
    return [("", f" [notice] {m}#{m}: signal process started", _NONE, None, "")]


# --------------------------------------------------------------------------------------
# apache error.log
# --------------------------------------------------------------------------------------


def _ap(c: _Ctx, mod: str, ip: str | None, msg: str, tags: tuple[str, ...] = ()) -> Entry:
    i = int(c.rand() * 6)
    pid = c.strcache.get(f"ap{i}")
    if pid is None:
        p = c.dpid(f"apache-child-{i}")
        pid = c.strcache[f"ap{i}"] = f"[pid {p}:tid {139_800_000_000_000 + p * 7919}]"
    cl = f" [client {ip}:{c.port()}]" if ip else ""
    return ("[", f"] [{mod}] {pid}{cl} {msg}", tags, None, "")


def _apache_error_attack(c: _Ctx) -> Session:
    ip = c.attacker()
    r = c.rand()
    n = 1 + int(c.rand() * 3)
    out: Session = []
    if r < 0.3:
        t = ("apache-auth",)
        for _ in range(n):
            q = c.rand()
            if q < 0.4:
                msg = f"AH01618: user {c.pick(_ATTACK_USERS)} not found: /private/"
                out.append(_ap(c, "auth_basic:error", ip, msg, t))
            elif q < 0.8:
                msg = (
                    f"AH01617: user {c.pick(_LOCAL_USERS)}: authentication failure for "
                    '"/private/": Password Mismatch'
                )
                out.append(_ap(c, "auth_basic:error", ip, msg, t))
            else:
                msg = "AH01630: client denied by server configuration: /var/www/html/.htaccess"
                out.append(_ap(c, "authz_core:error", ip, msg, t))
    elif r < 0.5:
        t = ("apache-noscript",)
        for _ in range(n):
            q = c.rand()
            if q < 0.4:
                out.append(
                    _ap(c, "proxy_fcgi:error", ip, "AH01071: Got error 'Primary script unknown'", t)
                )
            elif q < 0.7:
                x = c.pick(("kerbynet", "luci", "test.sh", "php"))
                out.append(
                    _ap(
                        c,
                        "cgi:error",
                        ip,
                        f"AH02811: script not found or unable to stat: /usr/lib/cgi-bin/{x}",
                        t,
                    )
                )
            else:
                x = c.pick(("shell", "xmlrpc", "eval-stdin", "config", "info"))
                out.append(
                    _ap(
                        c,
                        "core:info",
                        ip,
                        f"AH00128: File does not exist: /var/www/html/{x}.php",
                        t,
                    )
                )
    elif r < 0.6:
        t = ("apache-overflows",)
        for _ in range(n):
            if c.rand() < 0.6:
                out.append(
                    _ap(
                        c,
                        "core:error",
                        ip,
                        "AH00126: Invalid URI in request GET /../../../../../etc/passwd HTTP/1.1",
                        t,
                    )
                )
            else:
                out.append(
                    _ap(
                        c,
                        "core:error",
                        ip,
                        "AH00565: request failed: URI too long (longer than 8190)",
                        t,
                    )
                )
    elif r < 0.7:
        t = ("apache-nohome",)
        for _ in range(n):
            out.append(
                _ap(
                    c,
                    "core:info",
                    ip,
                    f"AH00128: File does not exist: /var/www/html/~{c.pick(_ATTACK_USERS)}",
                    t,
                )
            )
    elif r < 0.85:
        t = ("apache-botsearch",)
        for _ in range(n):
            x = c.pick(
                (
                    "roundcube",
                    "webmail",
                    "phpMyAdmin",
                    "pma",
                    "mysqladmin",
                    "horde",
                    "mail",
                    "myadmin",
                )
            )
            out.append(_ap(c, "core:info", ip, f"AH00128: File does not exist: /var/www/{x}", t))
    elif r < 0.93:
        t = ("apache-shellshock",)
        out.append(
            _ap(
                c,
                "cgi:error",
                ip,
                "AH01215: /bin/bash: warning: HTTP_USER_AGENT: "
                "ignoring function definition attempt",
                t,
            )
        )
        out.append(
            _ap(
                c,
                "cgi:error",
                ip,
                "AH01215: /bin/bash: error importing function definition for `HTTP_USER_AGENT'",
                t,
            )
        )
    else:
        t = ("apache-modsecurity",)
        uid = c.b64(18).replace("/", "_").replace("+", "-")
        out.append(
            _ap(
                c,
                "security2:error",
                ip,
                f"[client {ip}] ModSecurity: Access denied "
                'with code 403 (phase 2). Matched phrase "sqlmap" at '
                'REQUEST_HEADERS:User-Agent. [file "/usr/share/modsecurity-crs/rules/'
                'REQUEST-913-SCANNER-DETECTION.conf"] [line "33"] [id "913100"] '
                '[msg "Found User-Agent associated with security scanner"] '
                f'[severity "CRITICAL"] [hostname "{_SRV}"] [uri "/"] '
                f'[unique_id "{uid}"]',
                t,
            )
        )
    return out


def _apache_error_benign(c: _Ctx) -> Session:
    ip = c.client()
    r = c.rand()
    if r < 0.3:
        return [_ap(c, "core:info", ip, "AH00128: File does not exist: /var/www/html/favicon.ico")]
    if r < 0.5:
        return [
            _ap(
                c,
                "ssl:info",
                ip,
                f"AH01964: Connection to child {int(c.rand() * 30)} "
                f"established (server {_SRV}:443)",
            )
        ]
    if r < 0.7:
        return [
            _ap(
                c,
                "php:warn",
                ip,
                'PHP Warning:  Undefined array key "id" in /var/www/html/index.php on line 12',
            )
        ]
    if r < 0.85:
        return [
            _ap(
                c,
                "authz_core:debug",
                ip,
                "AH01626: authorization result of Require all granted: granted",
            )
        ]
    return [
        _ap(
            c,
            "mpm_event:notice",
            None,
            "AH00489: Apache/2.4.57 (Debian) OpenSSL/3.0.11 "
            "configured -- resuming normal operations",
        ),
        _ap(c, "core:notice", None, "AH00094: Command line: '/usr/sbin/apache2'"),
    ]


# --------------------------------------------------------------------------------------
# engine
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _KindSpec:
    clock: Callable[[], Callable[[float], str]]
    attack: SessionFn
    benign: SessionFn
    host: str
    concurrency: int
    rate: float  # mean lines per second


_SPECS: dict[str, _KindSpec] = {
    "auth": _KindSpec(
        lambda: _make_clock(_fmt_syslog), _sshd_attack, _auth_benign, "web01", 3, 2.0
    ),
    "syslog": _KindSpec(
        lambda: _make_clock(_fmt_syslog), _syslog_attack, _syslog_benign, "mx01", 6, 10.0
    ),
    "nginx": _KindSpec(
        lambda: _make_clock(_fmt_access), _nginx_attack, _nginx_benign, "www", 8, 20.0
    ),
    "apache": _KindSpec(
        lambda: _make_clock(_fmt_access), _apache_attack, _apache_benign, "www", 8, 20.0
    ),
    "nginx-error": _KindSpec(
        lambda: _make_clock(_fmt_nginx_error),
        _nginx_error_attack,
        _nginx_error_benign,
        "www",
        4,
        2.0,
    ),
    "apache-error": _KindSpec(
        lambda: _make_clock(_fmt_apache_error, 6),
        _apache_error_attack,
        _apache_error_benign,
        "www",
        4,
        2.0,
    ),
}
assert set(_SPECS) == set(TARGETS)


def generate(
    kind: str,
    lines: int,
    attack_ratio: float,
    seed: int | str,
    start: float = DEFAULT_START,
    *,
    rate: float | None = None,
    stats: GenStats | None = None,
) -> Iterator[str]:
    """Yield ``lines`` log lines (without trailing newline) of the given ``kind``.

    ``attack_ratio`` (0..1) is the target fraction of attack lines; ``seed`` makes the
    output reproducible; ``start`` is the epoch of the first line (UTC); ``rate`` is the
    mean number of lines per second (timestamps are monotonic with exponential jitter).
    If ``stats`` is given it is reset and updated while iterating (see :class:`GenStats`).
    """
    stats = _prepare(kind, lines, attack_ratio, stats)
    return _run(_SPECS[kind], kind, lines, attack_ratio, seed, float(start), rate, stats, False)


def generate_tagged(
    kind: str,
    lines: int,
    attack_ratio: float,
    seed: int | str,
    start: float = DEFAULT_START,
    *,
    rate: float | None = None,
    stats: GenStats | None = None,
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Like :func:`generate` (same lines), but yield ``(line, filters)`` pairs.

    ``filters`` are the stock filter specs that count the line as a failure (empty
    for benign lines), i.e. the ground truth for per-line comparisons.
    """
    stats = _prepare(kind, lines, attack_ratio, stats)
    return _run(_SPECS[kind], kind, lines, attack_ratio, seed, float(start), rate, stats, True)


def _prepare(kind: str, lines: int, attack_ratio: float, stats: GenStats | None) -> GenStats:
    if kind not in _SPECS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if lines < 0:
        raise ValueError("lines must be >= 0")
    if not 0.0 <= attack_ratio <= 1.0:
        raise ValueError("attack_ratio must be within [0, 1]")
    if stats is None:
        stats = GenStats()
    stats.kind, stats.lines, stats.attack_lines = kind, 0, 0
    stats.matches = dict.fromkeys(REPORTED[kind], 0)
    return stats


def _run(
    spec: _KindSpec,
    kind: str,
    lines: int,
    ratio: float,
    seed: int | str,
    start: float,
    rate: float | None,
    stats: GenStats,
    tagged: bool,
) -> Iterator[Any]:
    rng = Random(f"hyperban-genlog/{kind}/{seed}")
    ctx = _Ctx(rng, lines, ratio, spec.host)
    clock = spec.clock()
    attack_fn, benign_fn = spec.attack, spec.benign
    primary = frozenset(TARGETS[kind])
    counts = stats.matches
    is_attack: dict[tuple[str, ...], bool] = {(): False}
    active: list[Session] = []
    conc = spec.concurrency
    q_total = q_attack = 0
    rand = rng.random
    lam = rate if rate is not None else spec.rate
    t = start
    emitted = attacks = 0
    try:
        while emitted < lines:
            while len(active) < conc:
                want = ratio >= 1.0 or (ratio > 0.0 and q_attack <= ratio * q_total)
                sess = attack_fn(ctx) if want else benign_fn(ctx)
                for e in sess:
                    tg = e[2]
                    if tg:
                        a = is_attack.get(tg)
                        if a is None:
                            a = is_attack[tg] = not primary.isdisjoint(tg)
                            for name in tg:
                                counts.setdefault(name, 0)
                        q_attack += a
                q_total += len(sess)
                sess.reverse()
                active.append(sess)
            i = int(rand() * len(active))
            s = active[i]
            e = s.pop()
            if not s:
                active[i] = active[-1]
                active.pop()
            t -= log(1.0 - rand()) / lam  # == rng.expovariate(lam)
            inner = e[3]
            if inner is None:
                line = e[0] + clock(t) + e[1]
            else:
                line = e[0] + clock(t) + e[1] + inner(t) + e[4]
            tg = e[2]
            if tg:
                for name in tg:
                    counts[name] += 1
                if is_attack[tg]:
                    attacks += 1
            emitted += 1
            yield (line, tg) if tagged else line
    finally:
        stats.lines = emitted
        stats.attack_lines = attacks


def write_log(
    path: str | Path | TextIO,
    kind: str,
    lines: int,
    attack_ratio: float,
    seed: int | str,
    start: float = DEFAULT_START,
    *,
    rate: float | None = None,
    chunk: int = 1 << 16,
) -> GenStats:
    """Write a log (newline-terminated lines) to ``path`` (or an open text stream)."""
    stats = GenStats()
    gen = generate(kind, lines, attack_ratio, seed, start, rate=rate, stats=stats)

    def _dump(f: TextIO) -> None:
        while True:
            block = list(islice(gen, chunk))
            if not block:
                break
            block.append("")
            f.write("\n".join(block))

    if isinstance(path, (str, Path)):
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            _dump(f)
    else:
        _dump(path)
    return stats


def expected_matches(
    kind: str,
    lines: int,
    attack_ratio: float,
    seed: int | str,
    start: float = DEFAULT_START,
    *,
    rate: float | None = None,
) -> dict[str, int]:
    """Per-filter "matched" counts ``fail2ban-regex`` reports for this log (regenerates it)."""
    stats = GenStats()
    for _ in generate(kind, lines, attack_ratio, seed, start, rate=rate, stats=stats):
        pass
    return stats.matches


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Generate a seedable synthetic log (see module docstring).",
        epilog="Kinds: " + ", ".join(KINDS),
    )
    ap.add_argument("kind", choices=KINDS)
    ap.add_argument("--lines", type=int, default=None, help="number of lines (required)")
    ap.add_argument("--attack-ratio", type=float, default=0.2)
    ap.add_argument("--seed", default="0")
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    ap.add_argument("--start", type=float, default=DEFAULT_START, help="epoch of first line")
    ap.add_argument("--rate", type=float, default=None, help="mean lines per second")
    ap.add_argument(
        "--counts",
        default=None,
        help="write expected per-filter match counts as JSON here ('-' = stderr)",
    )
    ap.add_argument(
        "--list-filters",
        action="store_true",
        help="print the kind's target filters (for syslog: the 30 jails) and exit",
    )
    args = ap.parse_args(argv)
    if args.list_filters:
        print("\n".join(TARGETS[args.kind]))
        return 0
    if args.lines is None:
        ap.error("--lines is required")
    seed: int | str = int(args.seed) if args.seed.lstrip("-").isdigit() else args.seed
    if args.out == "-":
        stats = write_log(
            sys.stdout, args.kind, args.lines, args.attack_ratio, seed, args.start, rate=args.rate
        )
        sys.stdout.flush()
    else:
        stats = write_log(
            args.out, args.kind, args.lines, args.attack_ratio, seed, args.start, rate=args.rate
        )
    if args.counts:
        text = json.dumps(stats.as_dict(), indent=2, sort_keys=True) + "\n"
        if args.counts == "-":
            sys.stderr.write(text)
        else:
            Path(args.counts).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
