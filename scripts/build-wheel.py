#!/usr/bin/env python3
"""Assembles the flyteauth wheel from bindings/python and the built binaries.

    build-wheel.py --lib LIBFLYTEAUTH_SO --cli FLYTEAUTH_BINARY --out DIR

The package goes in as it is in bindings/python/src, plus ``flyteauth/_lib/libflyteauth.so.0``
(loaded from there first, see _library.py) and ``flyteauth/_bin/flyteauth`` (run by the
``flyteauth`` console script). Metadata and entry points come from pyproject.toml. The
result is tagged ``py3-none-linux_x86_64``; ``auditwheel repair`` (make wheel) checks
it and gives it its manylinux tag. Written by hand rather than through setuptools so it
needs no network and no build backend (the ABI is ctypes: one wheel for every Python 3).
"""
import argparse
import base64
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.join(HERE, "..", "bindings", "python")


def metadata(project: dict) -> str:
    lines = ["Metadata-Version: 2.1", "Name: %s" % project["name"], "Version: %s" % project["version"],
             "Summary: %s" % project["description"], "License: %s" % project["license"]["text"],
             "Requires-Python: %s" % project["requires-python"]]
    lines += ["Classifier: %s" % c for c in project.get("classifiers", [])]
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines.append("Provides-Extra: %s" % extra)
        lines += ['Requires-Dist: %s; extra == "%s"' % (r, extra) for r in reqs]
    lines.append("Description-Content-Type: text/markdown")
    readme = open(os.path.join(PYTHON_DIR, project["readme"]), encoding="utf-8").read()
    return "\n".join(lines) + "\n\n" + readme


def entry_points(project: dict) -> str:
    groups = dict(project.get("entry-points", {}))
    if project.get("scripts"):
        groups["console_scripts"] = project["scripts"]
    return "".join("[%s]\n" % g + "".join("%s = %s\n" % kv for kv in eps.items()) + "\n" for g, eps in groups.items())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    project = tomllib.load(open(os.path.join(PYTHON_DIR, "pyproject.toml"), "rb"))["project"]
    name, version = project["name"], project["version"]
    tag = "py3-none-linux_%s" % platform.machine()
    dist_info = "%s-%s.dist-info" % (name, version)
    os.makedirs(args.out, exist_ok=True)
    wheel_path = os.path.join(args.out, "%s-%s-%s.whl" % (name, version, tag))

    files = []  # (archive name, bytes, mode)
    src = os.path.join(PYTHON_DIR, "src", name)
    for entry in sorted(os.listdir(src)):
        if entry.endswith(".py") or entry == "py.typed":
            files.append(("%s/%s" % (name, entry), open(os.path.join(src, entry), "rb").read(), 0o644))
    with tempfile.TemporaryDirectory() as tmp:
        for source, target, strip_args in ((args.lib, "_lib/libflyteauth.so.0", ["--strip-unneeded"]),
                                           (args.cli, "_bin/flyteauth", [])):
            copy = os.path.join(tmp, os.path.basename(target))
            shutil.copyfile(source, copy)
            subprocess.run(["strip", *strip_args, copy], check=True)
            files.append(("%s/%s" % (name, target), open(copy, "rb").read(), 0o755))
    files.append(("%s/METADATA" % dist_info, metadata(project).encode(), 0o644))
    files.append(("%s/WHEEL" % dist_info, ("Wheel-Version: 1.0\nGenerator: libflyteauth build-wheel.py\n"
                                          "Root-Is-Purelib: false\nTag: %s\n" % tag).encode(), 0o644))
    files.append(("%s/entry_points.txt" % dist_info, entry_points(project).encode(), 0o644))
    files.append(("%s/top_level.txt" % dist_info, ("%s\n" % name).encode(), 0o644))

    record = []
    with zipfile.ZipFile(wheel_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data, mode in files:
            info = zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (arcname, digest, len(data)))
        record.append("%s/RECORD,," % dist_info)
        zf.writestr(zipfile.ZipInfo("%s/RECORD" % dist_info, date_time=(2026, 1, 1, 0, 0, 0)),
                    "\n".join(record) + "\n")
    print(wheel_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
