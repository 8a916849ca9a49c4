#!/usr/bin/env python3
"""Writes flyteauth(1) from the tool's own help (`flyteauth --experimental-dump-help`),
so the man page and --help come from the same source. The root command's discussion
ends with EXIT STATUS, ENVIRONMENT and FILES blocks (Sources/FlyteAuthCLI/
ManualSections.swift): a heading line, then "  NAME  meaning" lines; each becomes a
section of its own."""
import json
import subprocess
import sys

tool, out = sys.argv[1], sys.argv[2]
info = json.loads(subprocess.run([tool, "--experimental-dump-help"], capture_output=True, text=True, check=True).stdout)
cmd = info["command"]


def esc(text):
    return (text or "").replace("\\", "\\\\").replace("-", "\\-").replace("\n.", "\n\\&.")


def arg_key(a):
    return tuple(n["name"] for n in a.get("names", []))


def args_of(c, skip=()):
    lines = []
    for a in c.get("arguments", []):
        if not a.get("shouldDisplay", True) or arg_key(a) in skip:
            continue
        names = ", ".join(("--" if n["kind"] == "long" else "-") + n["name"] for n in a.get("names", []))
        if a.get("kind") == "option":
            names += " " + a.get("valueName", "value").join("<>")
        lines.append(".TP\n.B %s\n%s" % (esc(names or a.get("valueName", "")), esc(a.get("abstract", ""))))
    return "\n".join(lines)


SECTIONS = ("EXIT STATUS", "ENVIRONMENT", "FILES")


def split_sections(text):
    """(description, {heading: [(name, meaning)]})."""
    intro, sections, current = [], {}, None
    for line in (text or "").split("\n"):
        if line.strip() in SECTIONS:
            current = sections.setdefault(line.strip(), [])
        elif current is not None and line.strip():
            name, _, meaning = line.strip().partition("  ")
            current.append((name, meaning.strip()))
        elif current is None:
            intro.append(line)
    return "\n".join(intro).strip(), sections


description, sections = split_sections(cmd.get("discussion", ""))

subs = [sub for sub in cmd.get("subcommands", []) if sub["commandName"] != "help"]
# The options every subcommand takes are listed once, under OPTIONS.
common = set.intersection(*[set(arg_key(a) for a in sub.get("arguments", [])) for sub in subs])
common_args = {"arguments": [a for a in subs[0].get("arguments", []) if arg_key(a) in common]}

# .hy 0: names, paths and URLs are never hyphenated (include/flyteauth.h, localhost:30080).
page = [".TH FLYTEAUTH 1 \"\" \"flyteauth %s\" \"User Commands\"" % cmd.get("version", ""), ".hy 0", ".ad l",
        ".SH NAME", "flyteauth \\- " + esc(cmd.get("abstract", "")),
        ".SH SYNOPSIS", ".B flyteauth", ".I command", "[options]",
        ".SH DESCRIPTION", esc(description).replace("\n\n", "\n.PP\n")]
page.append(".SH COMMANDS")
for sub in subs:
    page += [".SS flyteauth %s" % sub["commandName"], esc(sub.get("abstract", ""))]
    if sub.get("discussion"):
        page += [".PP", esc(sub["discussion"])]
    own = args_of(sub, skip=common)
    if own:
        page.append(own)
page += [".SH OPTIONS", "Every command takes these:", args_of(common_args)]
for heading in SECTIONS:
    rows = sections.get(heading)
    if not rows:
        sys.exit("gen-man: the discussion has no %s block" % heading)
    page.append(".SH " + heading)
    for name, meaning in rows:
        page += [".TP", ".B " + esc(name), esc(meaning)]
page += [".SH SEE ALSO", "The README of libflyteauth; flyteauth.h for the C library."]
open(out, "w").write("\n".join(page) + "\n")
