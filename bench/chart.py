"""A small PNG bar chart writer for bench/bench.py: standard library only (zlib), so the
chart is drawn on any machine, offline, without matplotlib.

    chart.render(path, panels)

panels: a list of dicts
    {"title": str, "unit": str, "log": bool,
     "bars": [{"label": str, "value": float, "lo": float|None, "hi": float|None,
               "kind": "ours"|"theirs"|"base", "text": str,
               "target": float|None, "target_label": str}],
     "target": float|None, "target_label": str}
A panel's target is a dashed red line across all its bars; a bar's own target is a red
mark across its row only (e.g. one memory budget per variant).
Text is drawn with a built-in 5x7 font (upper case; lower case is shown as upper case).
"""
import math
import struct
import zlib

# 5x7 glyphs: a character (SP for space) and its 7 rows, '#' = ink.
_FONT = """
0 .###. #...# #..## #.#.# ##..# #...# .###.
1 ..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.
2 .###. #...# ....# ...#. ..#.. .#... #####
3 ##### ...#. ..#.. ...#. ....# #...# .###.
4 ...#. ..##. .#.#. #..#. ##### ...#. ...#.
5 ##### #.... ####. ....# ....# #...# .###.
6 ..##. .#... #.... ####. #...# #...# .###.
7 ##### ....# ...#. ..#.. .#... .#... .#...
8 .###. #...# #...# .###. #...# #...# .###.
9 .###. #...# #...# .#### ....# ...#. .##..
A .###. #...# #...# ##### #...# #...# #...#
B ####. #...# #...# ####. #...# #...# ####.
C .###. #...# #.... #.... #.... #...# .###.
D ###.. #..#. #...# #...# #...# #..#. ###..
E ##### #.... #.... ####. #.... #.... #####
F ##### #.... #.... ####. #.... #.... #....
G .###. #...# #.... #.### #...# #...# .####
H #...# #...# #...# ##### #...# #...# #...#
I .###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.
J ..### ...#. ...#. ...#. ...#. #..#. .##..
K #...# #..#. #.#.. ##... #.#.. #..#. #...#
L #.... #.... #.... #.... #.... #.... #####
M #...# ##.## #.#.# #.#.# #...# #...# #...#
N #...# #...# ##..# #.#.# #..## #...# #...#
O .###. #...# #...# #...# #...# #...# .###.
P ####. #...# #...# ####. #.... #.... #....
Q .###. #...# #...# #...# #.#.# #..#. .##.#
R ####. #...# #...# ####. #.#.. #..#. #...#
S .#### #.... #.... .###. ....# ....# ####.
T ##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..
U #...# #...# #...# #...# #...# #...# .###.
V #...# #...# #...# #...# #...# .#.#. ..#..
W #...# #...# #...# #.#.# #.#.# #.#.# .#.#.
X #...# #...# .#.#. ..#.. .#.#. #...# #...#
Y #...# #...# .#.#. ..#.. ..#.. ..#.. ..#..
Z ##### ....# ...#. ..#.. .#... #.... #####
SP ..... ..... ..... ..... ..... ..... .....
. ..... ..... ..... ..... ..... .##.. .##..
, ..... ..... ..... ..... .##.. ..#.. .#...
: ..... .##.. .##.. ..... .##.. .##.. .....
; ..... .##.. .##.. ..... .##.. ..#.. .#...
/ ..... ....# ...#. ..#.. .#... #.... .....
( ...#. ..#.. .#... .#... .#... ..#.. ...#.
) .#... ..#.. ...#. ...#. ...#. ..#.. .#...
- ..... ..... ..... ##### ..... ..... .....
+ ..... ..#.. ..#.. ##### ..#.. ..#.. .....
% ##... ##..# ...#. ..#.. .#... #..## ...##
= ..... ..... ##### ..... ##### ..... .....
< ...#. ..#.. .#... #.... .#... ..#.. ...#.
> .#... ..#.. ...#. ....# ...#. ..#.. .#...
_ ..... ..... ..... ..... ..... ..... #####
[ .###. .#... .#... .#... .#... .#... .###.
] .###. ...#. ...#. ...#. ...#. ...#. .###.
* ..... ..#.. #.#.# .###. #.#.# ..#.. .....
# .#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.
? .###. #...# ....# ...#. ..#.. ..... ..#..
! ..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..
' ..#.. ..#.. .#... ..... ..... ..... .....
| ..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..
~ ..... ..... .#... #.#.# ...#. ..... .....
"""
_GLYPHS = {}
for _line in _FONT.strip().splitlines():
    _ch, *_rows = _line.split()
    assert len(_rows) == 7 and all(len(r) == 5 for r in _rows), _line
    _GLYPHS[" " if _ch == "SP" else _ch] = "".join(_rows)
_W, _H = 5, 7

WHITE = (255, 255, 255)
BLACK = (20, 20, 20)
GREY = (150, 150, 150)
LIGHT = (225, 225, 225)
RED = (200, 30, 30)
COLOURS = {"ours": (33, 102, 172), "theirs": (230, 120, 30), "base": (160, 160, 160)}


class Canvas:
    def __init__(self, width, height):
        self.w, self.h = width, height
        self.px = bytearray(WHITE * (width * height))

    def rect(self, x0, y0, x1, y1, colour):
        x0, x1 = max(0, int(x0)), min(self.w, int(x1))
        y0, y1 = max(0, int(y0)), min(self.h, int(y1))
        if x1 <= x0 or y1 <= y0:
            return
        row = bytes(colour) * (x1 - x0)
        for y in range(y0, y1):
            i = (y * self.w + x0) * 3
            self.px[i:i + len(row)] = row

    def text(self, x, y, s, scale=2, colour=BLACK):
        for ch in str(s).upper():
            g = _GLYPHS.get(ch, _GLYPHS["?"])
            for r in range(_H):
                for c in range(_W):
                    if g[r * _W + c] == "#":
                        self.rect(x + c * scale, y + r * scale, x + (c + 1) * scale, y + (r + 1) * scale, colour)
            x += (_W + 1) * scale
        return x

    def png(self):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3]) for y in range(self.h))

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def text_width(s, scale=2):
    return len(str(s)) * (_W + 1) * scale


WIDTH = 1280
LABEL_W = 400
BAR_X0 = LABEL_W + 20
BAR_W = 560
ROW_H = 26
BAR_H = 16


def _scale(panel):
    vals = [b["value"] for b in panel["bars"] if b.get("value") is not None]
    vals += [b["hi"] for b in panel["bars"] if b.get("hi") is not None]
    if panel.get("target") is not None:
        vals.append(panel["target"])
    vals += [b["target"] for b in panel["bars"] if b.get("target") is not None]
    vmax = max([v for v in vals if v is not None and v > 0] or [1.0])
    if panel.get("log"):
        vmin = min([v for v in vals if v is not None and v > 0] or [1.0])
        lo = 10 ** math.floor(math.log10(vmin) - 0.3)
        hi = 10 ** math.ceil(math.log10(vmax) + 0.05)

        def x(v):
            v = max(v, lo)
            return BAR_X0 + BAR_W * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        ticks = []
        t = lo
        while t <= hi * 1.001:
            ticks.append(t)
            t *= 10
        return x, ticks
    hi = vmax * 1.1

    def x(v):
        return BAR_X0 + BAR_W * max(v, 0) / hi
    step = 10 ** math.floor(math.log10(hi))
    if hi / step < 3:
        step /= 2
    ticks = [i * step for i in range(int(hi / step) + 1)]
    return x, ticks


def _fmt(v):
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    if v >= 1:
        return "%.2f" % v
    return "%.3g" % v


def render(path, panels, title=None, subtitle=None):
    height = 16 + (36 if title else 0) + (24 if subtitle else 0)
    for p in panels:
        height += 68 + ROW_H * len(p["bars"])
    height += 30
    cv = Canvas(WIDTH, height)
    y = 16
    if title:
        cv.text(16, y, title, scale=3)
        y += 36
    if subtitle:
        cv.text(16, y, subtitle, scale=2, colour=GREY)
        y += 24
    for p in panels:
        y += 8
        cv.text(16, y, p["title"] + (" (%s%s)" % (p.get("unit", ""), ", LOG SCALE" if p.get("log") else "")
                                      if p.get("unit") else ""), scale=2)
        y += 26
        x_of, ticks = _scale(p)
        top = y
        bottom = y + ROW_H * len(p["bars"])
        for t in ticks:
            tx = x_of(t)
            cv.rect(tx, top - 2, tx + 1, bottom, LIGHT)
        for b in p["bars"]:
            cv.text(16 + max(0, LABEL_W - 16 - text_width(b["label"])), y + 5, b["label"], scale=2)
            v = b.get("value")
            if v is not None:
                x1 = x_of(v)
                cv.rect(BAR_X0, y + 5, max(x1, BAR_X0 + 1), y + 5 + BAR_H, COLOURS.get(b.get("kind"), GREY))
                if b.get("lo") is not None and b.get("hi") is not None:
                    xl, xh = x_of(b["lo"]), x_of(b["hi"])
                    mid = y + 5 + BAR_H // 2
                    cv.rect(xl, mid - 1, xh + 1, mid + 1, BLACK)
                    cv.rect(xl, mid - 5, xl + 2, mid + 5, BLACK)
                    cv.rect(xh - 1, mid - 5, xh + 1, mid + 5, BLACK)
                    x1 = max(x1, xh)
                text = b.get("text") or _fmt(v)
                if b.get("target") is not None:
                    text += " (TARGET %s)" % b.get("target_label", _fmt(b["target"]))
                cv.text(max(x1, x_of(b["target"]) if b.get("target") is not None else x1) + 8, y + 5, text, scale=2)
            else:
                cv.text(BAR_X0 + 4, y + 5, b.get("text") or "N/A", scale=2, colour=GREY)
            if b.get("target") is not None:
                tx = x_of(b["target"])
                cv.rect(tx - 1, y + 1, tx + 2, y + ROW_H - 1, RED)
            y += ROW_H
        if p.get("target") is not None:
            tx = x_of(p["target"])
            for yy in range(top - 4, bottom, 6):
                cv.rect(tx - 1, yy, tx + 1, yy + 3, RED)
            cv.text(tx + 4, bottom + 2, p.get("target_label", "TARGET"), scale=1, colour=RED)
        cv.rect(BAR_X0, bottom, BAR_X0 + BAR_W, bottom + 1, GREY)
        for t in ticks:
            label = _fmt(t)
            cv.text(x_of(t) - text_width(label, 1) // 2, bottom + 12, label, scale=1, colour=GREY)
        y = bottom + 34
    legend_x = 16
    for kind, name in (("ours", "LIBFLYTEAUTH"), ("theirs", "FLYTEKIT / FLYTE-SDK"), ("base", "BASELINE / FLOOR")):
        cv.rect(legend_x, y + 4, legend_x + 14, y + 18, COLOURS[kind])
        legend_x = cv.text(legend_x + 20, y + 5, name, scale=2) + 30
    cv.text(legend_x, y + 5, "BARS: MEDIAN; WHISKERS: P25-P75", scale=2, colour=GREY)
    with open(path, "wb") as f:
        f.write(cv.png())
