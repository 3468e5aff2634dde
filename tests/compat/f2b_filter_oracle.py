#!/usr/bin/python3
"""Runs fail2ban's own Filter on lines and prints what it finds, as JSON.

Input (stdin, JSON): a list of jobs ``{"filter": NAME, "basedir": DIR,
"options": {...}, "lines": [...], "journal": bool, "now": epoch, "tz": TZ}``.
Output: per job, one row per line: a list of ``[regex index, failure id or
null, time, nofail]`` (or ``{"error": text}`` when the filter cannot load).

Run it with Debian's Python (``/usr/bin/python3``), which has fail2ban; it is
a debugging and oracle aid for the compat tests, not used by hyperban.
"""

import json
import logging
import os
import sys
import time

sys.path.insert(0, "/usr/lib/python3/dist-packages")

from fail2ban.client.filterreader import FilterReader
from fail2ban.server.filter import Filter
from fail2ban.server.mytime import MyTime

logging.getLogger("fail2ban").setLevel(logging.CRITICAL)


def run(job):
    os.environ["TZ"] = job.get("tz", "UTC")
    time.tzset()
    MyTime.setTime(job["now"])
    MyTime.setAlternateNow(job["now"])
    flt = Filter(None)
    flt.returnRawHost = True
    flt.checkAllRegex = True
    flt.checkFindTime = False
    flt.active = True
    reader = FilterReader(
        job["filter"], "jail", dict(job.get("options", {})), basedir=job["basedir"], share_config={}
    )
    reader.read()
    reader.getOptions({})
    for opt in reader.convert():
        values = opt[3] if opt[0] == "multi-set" else [opt[3]]
        for value in values:
            if opt[2] == "prefregex":
                flt.prefRegex = value
            elif opt[2] == "addfailregex":
                flt.addFailRegex(value)
            elif opt[2] == "addignoreregex":
                flt.addIgnoreRegex(value)
            elif opt[2] == "maxlines":
                flt.setMaxLines(value)
            elif opt[2] == "datepattern":
                flt.setDatePattern(value)
    now_str = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(job["now"]))
    rows = []
    for line in job["lines"]:
        if job.get("journal"):
            found = flt.processLine(("", now_str, line), job["now"])
        else:
            found = flt.processLine(line)
        rows.append(
            [
                [r[0], None if r[1] is None else str(r[1]), r[2], bool(r[3].get("nofail"))]
                for r in found
            ]
        )
    return rows


def main():
    results = []
    for job in json.load(sys.stdin):
        try:
            results.append(run(job))
        except Exception as e:
            results.append({"error": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
