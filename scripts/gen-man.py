#!/usr/bin/env python3
"""Writes flyteauth(1) from the tool's own help (`flyteauth --experimental-dump-help`),
so the man page and --help come from the same source."""
import json
import subprocess
import sys

tool, out = sys.argv[1], sys.argv[2]
info = json.loads(subprocess.run([tool, "--experimental-dump-help"], capture_output=True, text=True, check=True).stdout)
cmd = info["command"]


def esc(text):
    return (text or "").replace("\\", "\\\\").replace("-", "\\-").replace("\n.", "\n\\&.")


def args_of(c):
    lines = []
    for a in c.get("arguments", []):
        if not a.get("shouldDisplay", True):
            continue
        names = ", ".join(("--" if n["kind"] == "long" else "-") + n["name"] for n in a.get("names", []))
        if a.get("kind") == "option":
            names += " " + a.get("valueName", "value").join("<>")
        lines.append(".TP\n.B %s\n%s" % (esc(names or a.get("valueName", "")), esc(a.get("abstract", ""))))
    return "\n".join(lines)


page = [".TH FLYTEAUTH 1 \"\" \"flyteauth %s\" \"User Commands\"" % cmd.get("version", ""),
        ".SH NAME", "flyteauth \\- " + esc(cmd.get("abstract", "")),
        ".SH SYNOPSIS", ".B flyteauth", ".I command", "[options]",
        ".SH DESCRIPTION", esc(cmd.get("discussion", "")).replace("\n\n", "\n.PP\n")]
page.append(".SH COMMANDS")
for sub in cmd.get("subcommands", []):
    if sub["commandName"] == "help":
        continue
    page += [".SS flyteauth %s" % sub["commandName"], esc(sub.get("abstract", ""))]
    if sub.get("discussion"):
        page += [".PP", esc(sub["discussion"])]
    page.append(args_of(sub))
page += [".SH SEE ALSO", "The README of libflyteauth; flyteauth.h for the C library."]
open(out, "w").write("\n".join(page) + "\n")
