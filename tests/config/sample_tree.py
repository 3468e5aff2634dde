"""A small hand-written fail2ban configuration tree full of corner cases.

Every file here was written for these tests.  The tests compare what hyperban reads from
this tree with what the installed fail2ban reads from it.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_FILES: dict[str, str] = {
    # -- jails ---------------------------------------------------------------------------
    "jail.conf": """\
# sample jail configuration
[INCLUDES]
before = paths.conf
after = extra-after.conf

[DEFAULT]
bantime = 1h
findtime: 10m
MaxRetry = 3
banaction = fw-multi
banaction_allports = fw-all
port = 0:65535
protocol = tcp
chain = <known/chain>
mode = normal
filter = %(__name__)s[mode=%(mode)s]
action_ = %(banaction)s[port="%(port)s", protocol="%(protocol)s", chain="%(chain)s"]
action_mw = %(action_)s
            mailer[dest="%(destemail)s", name=%(__name__)s]
action = %(action_)s
destemail = root@localhost ; an inline comment
usedns = warn
logpath = %(log_dir)s/%(__name__)s.log
ignoreip = 127.0.0.1/8 ::1
           10.0.0.0/8, 192.168.0.0/16
fail2ban_agent = Fail2Ban/%(fail2ban_version)s
ignorecommand = %(fail2ban_confpath)s/filter.d/ignorecommands/x <ip>

[alpha]
enabled = true
port = ssh
filter = flt-alpha[mode=aggressive]
# full-line comment between options
backend = polling

[beta]
enabled = yes
filter = flt-beta
logpath = /var/log/beta-1.log
          /var/log/beta-2.log tail

          /var/log/beta-3.log
failregex = %(known/failregex)s
            ^jail-level <HOST>$
maxlines = 3
action = %(action_mw)s
         pyact.py[actname=py1, foo="bar, baz"]
         pyact.py

[gamma]
enabled = false
filter = flt-alpha
prefregex = ^override <F-CONTENT>.+</F-CONTENT>$
datepattern = ^%%Y-%%m-%%d
journalmatch = _COMM=gamma
backend = systemd

[delta]
enabled = true
filter = nosuchfilter

[epsilon]
enabled = true
filter = flt-alpha[mode

[zeta]
enabled = true
filter = flt-beta
action = nosuchaction

[eta]
enabled = true
filter =
failregex = ^only jail <HOST>$
action =
maxretry = notanumber
bantime.increment = true
bantime.factor = 2
bantime.maxtime = 1w

[theta]
enabled = true
filter = flt-alpha
action = act-cond[name=custom, port="80,443"]
         act-cond[name=theta-two]
         act-cond[actname=third, blocktype=DROP]
         %(banaction_allports)s[name=all]

[iota]
enabled = true
filter = flt-beta[honeypot=sour@example.com]
action = act-cond[port="<known/port>0"][timeout=5]
""",
    "jail.d/10-first.conf": """\
[alpha]
maxretry = 7

[DEFAULT]
bantime = 2h
""",
    "jail.d/20-second.local": """\
[beta]
maxretry = %(known/maxretry)s1
""",
    "jail.local": """\
[alpha]
bantime = %(known/bantime)s
findtime = 1h 30m
Port = ssh,2222

[new-jail]
enabled = true
filter = flt-beta
""",
    "paths.conf": """\
[INCLUDES]
after = paths-missing.local

[DEFAULT]
log_dir = /var/log
default_backend = %(default/backend)s
backend = auto
""",
    "extra-after.conf": """\
[gamma]
maxretry = 9
""",
    # -- filters -------------------------------------------------------------------------
    "filter.d/common.conf": """\
[INCLUDES]
after = common.local

[DEFAULT]
logtype = file
_daemon = \\S*
__prefix_line = <lt_<logtype>/__prefix_line>
datepattern = <lt_<logtype>/datepattern>

[lt_file]
__prefix_line = \\s*<_daemon>:\\s+
datepattern = {^LN-BEG}

[lt_journal]
__prefix_line = \\s*
datepattern = %(lt_file/datepattern)s
""",
    "filter.d/flt-alpha.conf": """\
[INCLUDES]
before = common.conf

[DEFAULT]
_daemon = alphad

[Definition]
prefregex = ^%(__prefix_line)s<F-CONTENT>.+</F-CONTENT>$
failregex = ^fail from <HOST>$
            <mode-<mode>>

            ^bad user <F-USER>\\S+</F-USER> from <HOST>$
mode-normal =
mode-aggressive = ^aggressive <HOST>$
                  ^also <HOST> # not a comment
# a comment inside the section
ignoreregex = ^ignore <HOST>$ ; a comment
maxlines = 2
journalmatch = _SYSTEMD_UNIT=alpha.service + _COMM=alpha
               _COMM="alpha d"

[Init]
mode = normal
""",
    "filter.d/flt-alpha.local": """\
[Definition]
failregex = %(known/failregex)s
            ^local addition <HOST>$
""",
    "filter.d/flt-alpha.d/extra.conf": """\
[Definition]
maxlines = 1
""",
    "filter.d/flt-beta.conf": """\
[DEFAULT]
# never needed, so never interpolated
_unused = %(undefined_in_default)s

[Definition]
failregex = ^beta <HOST> user=<F-USER>.*</F-USER> to=<honeypot>$
            ^beta2 <ADDR>
ignoreregex =
datepattern = ^%%Y-%%m-%%d %%H:%%M:%%S
              {^LN-BEG}
usedns = no
logtimezone = UTC

[Init]
honeypot = fail2ban@localhost
""",
    # -- actions -------------------------------------------------------------------------
    "action.d/fw-common.conf": """\
[Definition]
actionflush = <fw> -F f2b-<name>

[Init]
chain = INPUT
name = default
port = ssh
protocol = tcp
blocktype = REJECT
fw = iptables -w
timeout = 30

[Init?family=inet6]
blocktype = REJECT --reject-with icmp6-port-unreachable
fw = ip6tables -w
""",
    "action.d/fw-multi.conf": """\
[INCLUDES]
before = fw-common.conf

[Definition]
actionstart = <fw> -N f2b-<name>
              <fw> -I <chain> -p <protocol> -m multiport --dports <port> -j f2b-<name>
actionstop = <fw> -D <chain> -p <protocol> -m multiport --dports <port> -j f2b-<name>
             <actionflush>
actionban = <fw> -I f2b-<name> 1 -s <ip> -j <blocktype>
actionunban = <fw> -D f2b-<name> -s <ip> -j <blocktype>
actioncheck = <fw> -n -L <chain> | grep -q 'f2b-<name>[ \\t]'
norestored = 1

[Init]
""",
    "action.d/fw-multi.local": """\
[Init]
port = %(known/port)s,2222
""",
    "action.d/fw-all.conf": """\
[INCLUDES]
before = fw-common.conf

[Definition]
actionstart = <fw> -N f2b-<name>
actionban = <fw> -I f2b-<name> 1 -s <ip> -j <blocktype>
actionunban = <fw> -D f2b-<name> -s <ip> -j <blocktype>
""",
    "action.d/mailer.conf": """\
[Definition]
actionstart_on_demand = true
actionban = printf %%b "Hi,\\n<ip> banned by <name> after <failures> attempts\\n"
            printf %%b "Matches: <matches>\\n" | mail -s "[<name>] <ip>" <dest>
actionunban =

[Init]
dest = root
""",
    "action.d/act-cond.conf": """\
[Definition]
actionban = echo <name> <actname> <port> <blocktype> <bantime> <ip>
actionunban = echo unban <ip> timeout=<timeout>
actionreban = <actionban>

[Init]
port = 22
blocktype = REJECT
timeout = 60

[Init?family=inet6]
blocktype = DROP6
""",
    "action.d/pyact.py": "",
    # -- daemon --------------------------------------------------------------------------
    "fail2ban.conf": """\
[DEFAULT]
loglevel = INFO
logtarget = /var/log/fail2ban.log

[Definition]
socket = /run/f2b.sock
dbpurgeage = 2d
dbmaxmatches = 5

[Thread]
""",
    "fail2ban.d/01-debug.conf": """\
[Definition]
loglevel = DEBUG
""",
    "fail2ban.local": """\
[Definition]
logtarget = SYSLOG
dbfile = :memory:

[Thread]
stacksize = 64
""",
}


def write_sample_tree(root: Path) -> None:
    for rel, text in SAMPLE_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
