"""Reference results from the installed fail2ban (run with Debian's /usr/bin/python3).

Reads a JSON list of requests on stdin and prints a JSON list of answers, one per
request.  Each answer is ``{"ok": ...}`` or ``{"error": "<ExceptionClass>: <message>"}``.
This file only drives fail2ban's public reader classes; it contains none of its code.

Requests (``kind``):
  filter   {basedir, name, opts, jail}  -> normalized filter set-up steps
  action   {basedir, name, opts, jail}  -> {"name", "settings"} as sent to the server
  jails    {basedir, force_enable}      -> list of jails (options, steps, actions)
  server   {basedir}                    -> fail2ban.conf settings
  ini      {basedir, name}              -> every section/option, raw and interpolated
  extract  {values}                     -> extractOptions per value
  split    {values}                     -> splitWithOptions per value
  time     {values}                     -> MyTime.str2seconds per value
  duration {values}                     -> MyTime.seconds2str per value (log lines)
"""

import json
import logging
import sys
from typing import Any


def _err(exc: BaseException) -> dict[str, str]:
    return {"error": f"{type(exc).__name__}: {exc}"}


def _steps(stream: list[list[Any]], jail: str) -> list[list[Any]]:
    """Turn fail2ban's command stream for one jail into [what, value] steps."""
    out = []
    for cmd in stream:
        if cmd[0] == "multi-set":
            out.append([cmd[2], cmd[3]] if cmd[2] != "action" else ["action", cmd[3], cmd[4]])
        elif cmd[0] == "set":
            if cmd[2] == "action":
                out.append(["action", cmd[3], [cmd[4:]]])
            elif cmd[2] in ("addfailregex", "addignoreregex"):
                out.append([cmd[2], [cmd[3]]])
            else:
                out.append([cmd[2], *cmd[3:]])
        else:
            out.append(list(cmd))
    return out


def do_filter(req: dict[str, Any]) -> Any:
    from fail2ban.client.filterreader import FilterReader

    reader = FilterReader(
        req["name"],
        req.get("jail", "jail"),
        dict(req.get("opts") or {}),
        basedir=req["basedir"],
        share_config={},
    )
    if not reader.read():
        raise ValueError(f"cannot read filter {req['name']!r}")
    if req.get("backend") is not None:
        reader.applyAutoOptions(req["backend"])
    reader.getOptions({})
    return _steps(reader.convert(), req.get("jail", "jail"))


def do_action(req: dict[str, Any]) -> Any:
    from fail2ban.client.actionreader import ActionReader

    reader = ActionReader(
        req["name"],
        req.get("jail", "jail"),
        dict(req.get("opts") or {}),
        basedir=req["basedir"],
        share_config={},
    )
    if not reader.read():
        raise ValueError(f"cannot read action {req['name']!r}")
    reader.getOptions(dict(req.get("jail_options") or {}))
    steps = _steps(reader.convert(), req.get("jail", "jail"))
    settings = {}
    for step in steps:
        if step[0] == "action":
            for item in step[2]:
                settings[item[0]] = item[1]
    return {"name": reader.getName(), "settings": settings}


def do_jails(req: dict[str, Any]) -> Any:
    from fail2ban.client.jailsreader import JailsReader

    reader = JailsReader(
        force_enable=bool(req.get("force_enable")), basedir=req["basedir"], share_config={}
    )
    if not reader.read():
        return []
    reader.getOptions()
    out = []
    for jail in reader.jails:
        name = jail.getName()
        item = {"name": name, "options": dict(jail.options)}
        if not jail.options.get("config-error"):
            stream = [
                c
                for c in jail.convert(allow_no_files=True)
                if not (len(c) > 2 and c[2] == "addlogpath")
            ]
            item["steps"] = _steps(stream, name)
        out.append(item)
    return out


def do_server(req: dict[str, Any]) -> Any:
    from fail2ban.client.fail2banreader import Fail2banReader

    reader = Fail2banReader(basedir=req["basedir"], share_config={})
    reader.read()
    early = reader.getEarlyOptions()
    reader.getOptions()
    return {"early": early, "stream": reader.convert()}


def do_ini(req: dict[str, Any]) -> Any:
    from fail2ban.client.configreader import ConfigReaderUnshared

    cfg = ConfigReaderUnshared(basedir=req["basedir"])
    if not cfg.read(req["name"]):
        return None
    result: dict[str, Any] = {"sections": list(cfg.sections()), "values": {}, "raw": {}}
    for sec in ["DEFAULT", *cfg.sections()]:
        names = sorted(cfg.get_defaults()) if sec == "DEFAULT" else sorted(cfg.options(sec))
        vals: dict[str, Any] = {}
        raws: dict[str, Any] = {}
        for opt in names:
            raws[opt] = cfg.get(sec, opt, raw=True)
            try:
                vals[opt] = cfg.get(sec, opt)
            except Exception as exc:
                vals[opt] = {"error": type(exc).__name__}
        result["values"][sec] = vals
        result["raw"][sec] = raws
    return result


def do_extract(req: dict[str, Any]) -> Any:
    from fail2ban.helpers import extractOptions

    out: list[dict[str, Any]] = []
    for value in req["values"]:
        try:
            name, opts = extractOptions(value)
            out.append({"ok": [name, opts]})
        except Exception as exc:
            out.append(_err(exc))
    return out


def do_split(req: dict[str, Any]) -> Any:
    from fail2ban.helpers import splitWithOptions

    return [splitWithOptions(v) for v in req["values"]]


def do_duration(req: dict[str, Any]) -> Any:
    from fail2ban.server.mytime import MyTime

    return [str(MyTime.seconds2str(value)) for value in req["values"]]


def do_time(req: dict[str, Any]) -> Any:
    from fail2ban.server.mytime import MyTime

    out: list[dict[str, Any]] = []
    for value in req["values"]:
        try:
            res = MyTime.str2seconds(value)
            if isinstance(res, bool) or not isinstance(res, (int, float)):
                out.append({"error": f"non-number {res!r}"})
            else:
                out.append({"ok": float(res)})
        except Exception as exc:
            out.append(_err(exc))
    return out


HANDLERS = {
    "filter": do_filter,
    "action": do_action,
    "jails": do_jails,
    "server": do_server,
    "ini": do_ini,
    "extract": do_extract,
    "split": do_split,
    "time": do_time,
    "duration": do_duration,
}


def main() -> None:
    # Recursive tag definitions can make fail2ban grow a value exponentially: let such a
    # request fail with MemoryError instead of taking the machine down.
    import resource

    limit = 3 * 1024 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.getLogger("fail2ban").setLevel(logging.CRITICAL + 1)
    logging.disable(logging.CRITICAL)
    requests = json.load(sys.stdin)
    answers = []
    for req in requests:
        try:
            answers.append({"ok": HANDLERS[req["kind"]](req)})
        except Exception as exc:
            answers.append(_err(exc))
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
