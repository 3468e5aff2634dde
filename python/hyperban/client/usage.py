"""``--help`` text: options, then every command in man-page layout."""

from __future__ import annotations

import textwrap

__all__ = ["COMMANDS", "usage"]

# (command, description); a command of "" starts a section.
COMMANDS: list[tuple[str, str]] = [
    ("", "BASIC"),
    ("start", "starts the daemon (in the background; -f: in the foreground) and waits "
     "until it answers"),
    ("restart", "stops the daemon if it runs, then starts it"),
    ("ping [TIMEOUT]", "checks that the daemon answers (exit status 0 if it does)"),
    ("version", "prints the daemon's version"),
    ("status", "number of jails and their names"),
    ("status <JAIL> [FLAVOR]", "failures, bans and banned IPs of <JAIL>; FLAVOR 'short' "
     "omits the IP list"),
    ("reload [--restart] [--unban] [--all]", "re-reads the configuration and applies it to "
     "every jail; '--restart' restarts the jails, '--unban' also lifts their bans"),
    ("reload [--restart] [--unban] [--if-exists] <JAIL>", "the same for <JAIL> alone"),
    ("restart [--unban] [--if-exists] <JAIL>", "short for 'reload --restart ... <JAIL>'"),
    ("stop", "stops every jail and the daemon"),
    ("unban --all", "lifts every ban, in every jail and in the database"),
    ("unban <IP> ... <IP>", "lifts the bans of <IP> in every jail and in the database"),
    ("banned", "every jail with its banned IPs"),
    ("banned <IP> ... <IP>", "for each <IP>, the jails that ban it"),
    ("flushlogs", "reopens a log file (after rotation)"),
    ("", "LOGGING"),
    ("get loglevel", "the daemon's log level"),
    ("set loglevel <LEVEL>", "sets the log level: CRITICAL, ERROR, WARNING, NOTICE, INFO, "
     "DEBUG, TRACEDEBUG, HEAVYDEBUG or a number"),
    ("get logtarget", "where the daemon logs"),
    ("set logtarget <TARGET>", "logs to STDOUT, STDERR, SYSLOG, SYSTEMD-JOURNAL or a file"),
    ("get syslogsocket", "the syslog socket used with the SYSLOG target"),
    ("set syslogsocket auto|<SOCKET>", "sets the syslog socket"),
    ("set allowipv6 auto|yes|no", "whether actions start for IPv6 (auto: if the host "
     "has IPv6 addresses)"),
    ("get thread", "thread options ({'stacksize': KiB})"),
    ("", "DATABASE"),
    ("get dbfile", "the database file"),
    ("set dbfile <FILE>", "refused while jails run, as in fail2ban (set dbfile in "
     "fail2ban.local and restart)"),
    ("get dbpurgeage", "how long, in seconds, ban history is kept"),
    ("set dbpurgeage <SECONDS>", "sets how long ban history is kept"),
    ("get dbmaxmatches", "matches kept per ticket in the database"),
    ("set dbmaxmatches <INT>", "sets the matches kept per ticket in the database"),
    ("", "JAIL CONTROL"),
    ("start <JAIL>", "starts <JAIL>"),
    ("stop <JAIL>", "stops <JAIL> and removes it from the running jails"),
    ("stop --all", "stops every jail; the daemon keeps running"),
    ("", "JAIL CONFIGURATION"),
    ("set <JAIL> banip <IP> ... <IP>", "bans <IP> in <JAIL> now; prints how many were banned"),
    ("set <JAIL> unbanip [--report-absent] <IP> ... <IP>", "lifts the bans of <IP> in <JAIL>; "
     "with '--report-absent' an IP that is not banned is an error"),
    ("set <JAIL> addignoreip <IP> ... <IP>", "never bans <IP> (an address, network or host)"),
    ("set <JAIL> delignoreip <IP>", "removes <IP> from the ignore list"),
    ("set <JAIL> addlogpath <FILE> ['tail']", "watches <FILE>, from its end with 'tail'"),
    ("set <JAIL> dellogpath <FILE>", "stops watching <FILE>"),
    ("set <JAIL> maxretry <N>", "failures within findtime that cause a ban"),
    ("set <JAIL> findtime <TIME>", "how far back failures count"),
    ("set <JAIL> bantime <TIME>", "how long a ban lasts"),
    ("set <JAIL> bantime.<OPTION> <VALUE>", "ban time increment options"),
    ("set <JAIL> maxmatches <N>", "matched lines kept per ticket"),
    ("set <JAIL> maxlines <N>", "lines buffered for multi-line regexes"),
    ("set <JAIL> usedns yes|warn|no|raw", "whether host names are resolved"),
    ("set <JAIL> ignoreself true|false", "whether the host's own addresses are ignored"),
    ("set <JAIL> ignorecommand <CMD>", "command deciding whether an IP is ignored"),
    ("set <JAIL> ignorecache <OPTIONS>", "caching of the ignore command's answers"),
    ("set <JAIL> datepattern <PATTERN>", "date pattern of the log lines"),
    ("set <JAIL> logtimezone <TZ>", "time zone of log times without one"),
    ("set <JAIL> logencoding <ENCODING>", "encoding the next lines are decoded from "
     "(auto: the locale's)"),
    ("set <JAIL> addfailregex <REGEX>", "adds a failregex to <JAIL>'s filter"),
    ("set <JAIL> delfailregex <INDEX>", "removes the failregex at <INDEX>"),
    ("set <JAIL> addignoreregex <REGEX>", "adds an ignoreregex to <JAIL>'s filter"),
    ("set <JAIL> delignoreregex <INDEX>", "removes the ignoreregex at <INDEX>"),
    ("set <JAIL> idle on|off", "stops or resumes reading <JAIL>'s logs (lines written "
     "meanwhile are read on resuming); its bans still end on time"),
    ("set <JAIL> addjournalmatch <MATCH>", "adds journalctl-style matches (FIELD=value, "
     "alternatives split by +) to a journal jail"),
    ("set <JAIL> deljournalmatch <MATCH>", "removes the alternative that is exactly <MATCH>"),
    ("set <JAIL> addaction <ACT> [<PYFILE> <JSON>]", "adds an action to <JAIL>: a command "
     "action without commands (set them with 'set <JAIL> action'), or the Action class of "
     "<PYFILE> built with the options of the <JSON> object"),
    ("set <JAIL> delaction <ACT>", "removes action <ACT> from <JAIL> (not stopped)"),
    ("set <JAIL> attempt <IP> [<FAILURE> ... <FAILURE>]", "counts a failure of <IP> now "
     "(one per <FAILURE> text given, which become its matches); bans at maxretry"),
    ("set <JAIL> action <ACT> <PROPERTY> <VALUE>", "sets a property of action <ACT> of "
     "<JAIL> (a command, parameter or timeout)"),
    ("set <JAIL> action <ACT> <METHOD> [<JSON>]", "calls a method of action <ACT> "
     "(e.g. consistencyCheck), with keyword arguments as a JSON object"),
    ("", "JAIL INFORMATION"),
    ("get <JAIL> banned [<IP> ... <IP>]", "banned IPs of <JAIL>, or 1/0 for each <IP>"),
    ("get <JAIL> banip [<SEP>|--with-time]", "banned IPs ordered by end of ban, separated by "
     "<SEP> (default a space) or one per line with their ban times"),
    ("get <JAIL> <PARAM>", "the value of <PARAM>: logpath, ignoreip, failregex, ignoreregex, "
     "actions, maxretry, findtime, bantime, maxmatches, maxlines, usedns, ignoreself, "
     "ignorecommand, logencoding, datepattern, logtimezone, prefregex, idle, bantime.*"),
    ("get <JAIL> action <ACT> <PROPERTY>", "the value of a property of action <ACT>"),
    ("get <JAIL> actionproperties <ACT>", "the properties of action <ACT>"),
    ("get <JAIL> actionmethods <ACT>", "the methods of action <ACT>"),
]  # fmt: skip

_OPTIONS = """\
Options:
    -c, --conf <DIR>        configuration directory (default /etc/fail2ban); the
                            socket path is read from its fail2ban.conf/.local
    -s, --socket <FILE>     socket path (overrides the configuration)
    -p, --pidfile <FILE>    pid file, used to explain an unreachable socket
    --timeout <SECONDS>     how long to wait for the daemon (default 60)
    --str2sec <STRING>      print a time span (fail2ban's abbreviations: 1d 2h, 10m,
                            1h+30m) in seconds and exit
    -t, --test              test the configuration (every jail built, nothing started)
                            and exit: 0 and "OK: ..." if it is sound
    -i                      interactive mode: commands at a prompt ('exit' ends)
    -b                      'start': the daemon in the background (the default)
    -f                      'start': the daemon in the foreground, in place of the client
    -x                      'start': even if a stale socket file is left
    -v                      increase verbosity
    -q                      decrease verbosity
    -h, --help              display this help message
    -V, --version           print the version"""

_INDENT, _MARGIN, _WIDTH = 4, 45, 34


def _commands() -> list[str]:
    lines: list[str] = []
    for command, text in COMMANDS:
        if not command:
            if lines:
                lines.append("")
            lines.append(" " * (_INDENT + _MARGIN) + text)
            continue
        wrapped = textwrap.wrap(text, _WIDTH, break_on_hyphens=False)
        if len(command) >= _MARGIN:  # long command: description starts below it
            lines.append(" " * _INDENT + command)
        else:
            first = wrapped.pop(0)
            lines.append(" " * _INDENT + command.ljust(_MARGIN) + first)
        lines.extend(" " * (_INDENT + _MARGIN) + w for w in wrapped)
    return lines


def usage(prog: str = "python -m hyperban.client") -> str:
    head = [
        f"Usage: {prog} [OPTIONS] <COMMAND>",
        "",
        "Starts hyperban's daemon, or controls it through its control socket.",
        "The commands and their output are fail2ban-client's.",
        "",
        _OPTIONS,
        "",
        "Commands:",
    ]
    tail = [
        "",
        "Exit status: 0 when the daemon carried out the command, 255 otherwise",
        "(no daemon, an error reply, bad options).",
    ]
    return "\n".join([*head, *_commands(), *tail])
