"""The tool as a person sees it: run in a tmux pane of 80 columns and captured, QR codes
drawn to PNG and read by zbarimg, pages loaded in headless Chromium. Artefacts
(captures, screenshots, QR images) go to build/newcomer-artefacts/ (gitignored)."""
import os
import re
import shlex
import struct
import subprocess
import uuid
import zlib

from cliutil import ROOT

ARTEFACTS = os.path.join(ROOT, "build", "newcomer-artefacts")


def artefact(name):
    os.makedirs(ARTEFACTS, exist_ok=True)
    return os.path.join(ARTEFACTS, name)


class Pane:
    """One tmux server of its own (own socket) with one 80x60 pane running `argv`.
    `wait()` blocks on tmux's wait-for channel the command signals when it ends."""

    def __init__(self, argv, env, tmp, columns=80, rows=60, hold=False):
        self.socket = os.path.join(str(tmp), "tmux-%s" % uuid.uuid4().hex[:8])
        self.env = dict(env, TERM="xterm-256color")
        self.status_file = os.path.join(str(tmp), "status-%s" % uuid.uuid4().hex[:8])
        script = os.path.join(str(tmp), "run-%s.sh" % uuid.uuid4().hex[:8])
        with open(script, "w") as f:
            # Ctrl-C is the tool's: the shell survives it to report the status.
            f.write("#!/bin/sh\ntrap : INT\n")
            for k, v in self.env.items():
                if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", k):
                    f.write("export %s=%s\n" % (k, shlex.quote(v)))
            if hold:  # started only when told, after the test set up its pipe
                f.write("tmux -S %s wait-for go\n" % shlex.quote(self.socket))
            f.write("%s\necho $? > %s\ntmux -S %s wait-for -S done\nexec sleep 3600\n"
                    % (" ".join(shlex.quote(a) for a in argv), shlex.quote(self.status_file), shlex.quote(self.socket)))
        os.chmod(script, 0o755)
        self._tmux("-f", "/dev/null", "new-session", "-d", "-x", str(columns), "-y", str(rows), script)
        self._tmux("set-option", "-g", "history-limit", "5000")

    def _tmux(self, *args, **kw):
        return subprocess.run(["tmux", "-S", self.socket] + list(args), check=True, capture_output=True, text=True,
                              timeout=kw.get("timeout", 30), env=self.env).stdout

    def go(self):
        self._tmux("wait-for", "-S", "go")

    def pipe_to(self, fifo):
        self._tmux("pipe-pane", "-O", "cat > %s" % shlex.quote(fifo))

    def keys(self, *keys):
        self._tmux("send-keys", *keys)

    def wait(self, timeout=90):
        self._tmux("wait-for", "done", timeout=timeout)
        return int(open(self.status_file).read().strip())

    def capture(self, escapes=False, joined=False):
        args = ["capture-pane", "-p", "-S", "-", "-E", "-"]
        if escapes:
            args += ["-e", "-N"]  # colours, and trailing spaces (a coloured background)
        if joined:
            args.append("-J")
        return self._tmux(*args).rstrip("\n")

    def close(self):
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=30)


def assert_fits(text_plain, text_joined, columns=80):
    """No line ran past the width, except a single word (a URL) longer than the whole
    width on a line of its own: the terminal wraps that one, and it stays one word to
    click or copy. Anything else wrapped by the terminal would break mid-word."""
    assert all(len(l) <= columns for l in text_plain.split("\n"))
    overflowed = [l for l in text_joined.split("\n") if len(l) > columns]
    bad = [l for l in overflowed if " " in l.strip() or l.startswith(" ")]
    assert not bad, "wrapped by the terminal, not by the tool: %r" % bad


# ---- QR codes: terminal cells to modules to PNG --------------------------------------

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_BLACK, _WHITE = 0, 255
# Colours of the 256-colour palette a renderer may use: 16 is black, 231 white.
_PALETTE = {"16": _BLACK, "231": _WHITE, "0": _BLACK, "15": _WHITE, "7": 229}


def cells(line, default_fg, default_bg):
    """[(char, fg, bg)] of a captured line with escapes, grey levels 0..255."""
    out, fg, bg, i = [], default_fg, default_bg, 0
    for m in list(_SGR.finditer(line)) + [None]:
        end = m.start() if m else len(line)
        for ch in line[i:end]:
            out.append((ch, fg, bg))
        if not m:
            break
        i = m.end()
        codes = (m.group(1) or "0").split(";")
        j = 0
        while j < len(codes):
            c = codes[j]
            if c in ("0", ""):
                fg, bg = default_fg, default_bg
            elif c in ("38", "48") and j + 2 < len(codes) and codes[j + 1] == "5":
                grey = _PALETTE.get(codes[j + 2], 128)
                if c == "38":
                    fg = grey
                else:
                    bg = grey
                j += 2
            elif c == "30":
                fg = _BLACK
            elif c in ("37", "97"):
                fg = _WHITE
            elif c == "40":
                bg = _BLACK
            elif c in ("47", "107"):
                bg = _WHITE
            elif c == "39":
                fg = default_fg
            elif c == "49":
                bg = default_bg
            j += 1
    return out


def qr_image(lines, dark_terminal):
    """Pixel rows (grey) of half-block lines as a terminal with that scheme shows them,
    with a margin of the terminal's own background around."""
    fg, bg = (_WHITE, _BLACK) if dark_terminal else (_BLACK, _WHITE)
    rows = []
    for line in lines:
        top, bottom = [], []
        for ch, f, b in cells(line, fg, bg):
            t, u = {"\u2580": (f, b), "\u2584": (b, f), "\u2588": (f, f)}.get(ch, (b, b))
            top.append(t)
            bottom.append(u)
        rows += [top, bottom]
    width = max(len(r) for r in rows)
    rows = [r + [bg] * (width - len(r)) for r in rows]
    margin = 6
    rows = [[bg] * (width + 2 * margin)] * margin + [[bg] * margin + r + [bg] * margin for r in rows] \
        + [[bg] * (width + 2 * margin)] * margin
    return rows


def write_png(path, rows, scale=6, invert=False):
    raw = bytearray()
    for r in rows:
        line = bytearray()
        for v in r:
            line += bytes([255 - v if invert else v]) * scale
        for _ in range(scale):
            raw += b"\x00" + line
    h, w = len(rows) * scale, len(rows[0]) * scale

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b""))


def zbar(path):
    """What zbarimg reads in the image (None when it finds no code)."""
    r = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path],
                       capture_output=True, text=True, timeout=60)
    return r.stdout.strip() if r.returncode == 0 else None


# ---- Headless Chromium --------------------------------------------------------------

def chromium(url, screenshot, tmp):
    """Loads `url` once; returns the DOM after load and writes a screenshot."""
    profile = os.path.join(str(tmp), "chromium-%s" % uuid.uuid4().hex[:8])
    r = subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--no-proxy-server", "--user-data-dir=" + profile, "--window-size=900,600",
                        "--screenshot=" + screenshot, "--dump-dom", url],
                       capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def visible_text(dom):
    body = re.sub(r"(?s)<head>.*?</head>", "", dom)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&amp;", "&").strip()
