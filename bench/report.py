"""The benchmark report: targets, headline rows, chart and Markdown, from the results
the cases in bench.py recorded (self.results). A mixin of bench.Bench."""
import os

import chart
from common import IDP_DELAY_S, MB, MODES, PY, ROOT, STORM_SHAPES, fmt_num, fmt_stat, quantile, summary  # noqa: F401

# The targets in force, all against flytekit in the same run.
#: Case 1: how many times faster than flytekit's PKCEAuthenticator to the first header.
STARTUP_TARGETS = {"C": 200, "Go binding": 150, "flyteauth token (CLI)": 200, "Python binding": 40}
#: Case 6: resident memory added by dlopen and the first header, per footprint variant
#: (decimal MB), and the chart's unambiguous name for each variant.
RSS_TARGETS_MB = (("kernel tier", 4, "RSS, KERNEL TIER (PKCE)"),
                  ("Secret Service", 9, "RSS, SECRET SERVICE (PKCE)"),
                  ("client credentials", 11, "RSS, CLIENT CREDENTIALS"))
SO_TARGET_MB = 16
#: The second peer of case 1, shown beside flytekit (no target against it).
FLYTE_SDK = "flyte-sdk PKCEAuthenticator"


def rss_budget_mb(variant):
    for prefix, budget, _ in RSS_TARGETS_MB:
        if variant.startswith(prefix):
            return budget
    raise KeyError("no memory target for footprint variant %r" % variant)


def rss_label(variant):
    for prefix, _, label in RSS_TARGETS_MB:
        if variant.startswith(prefix):
            return label
    return "RSS, " + variant.upper()


#: The headline rows that put one measured program beside its peers, by case: where the
#: figures are (keys under results["cases"]), the programs in row order, the peers (one
#: column of figures and one of ratios each), for which programs the peer columns are
#: filled and the ratio is given, how the ratio is written, and rows that show a figure
#: alone in the first peer's column.
HEADLINE_STAT_ROWS = (
    {"case": "1 start to header, cached", "at": ("startup_keyring", "whole_process"), "unit": " (ms)",
     "names": ("C", "Python binding", "Go binding", "flyteauth token (CLI)",
               "C, old path (kernel tier off, Secret Service)", "C, headless (no D-Bus), second process",
               "bare C process (floor)", "python -I -S -c 'import ctypes' (floor)"),
     "peers": ("flytekit PKCEAuthenticator", FLYTE_SDK),
     "show": lambda name: True, "ratio_for": lambda name: "floor" not in name,
     "ratio": lambda ours, peer: "%.0fx" % (peer / ours),
     "alone": (("python -c 'import flytekit'", "`import flytekit` alone (ms)"),)},
    {"case": "2 start to header, client credentials", "at": ("startup_client_credentials", "whole_process"),
     "unit": " (ms)", "names": ("C", "Python binding"), "peers": ("flytekit ClientCredentialsAuthenticator",),
     "show": lambda name: True, "ratio_for": lambda name: True,
     "ratio": lambda ours, peer: "%.0fx" % (peer / ours), "alone": ()},
    {"case": "3 per call, warm", "at": ("per_call", "stats"), "unit": " (ns)",
     "names": ("C, 1 thread (keyring PKCE)", "C, 2 threads (keyring PKCE)", "C, 1 thread (passthrough)",
               "C, 2 threads (passthrough)", "C floor: mutex + strdup/free, 1 thread",
               "C floor: mutex + strdup/free, 2 threads", "Python binding metadata()", "Go binding Metadata()"),
     "peers": ("flytekit fetch_grpc_call_auth_metadata()",),
     "show": lambda name: name.startswith("Python"), "ratio_for": lambda name: name.startswith("Python"),
     "ratio": lambda ours, peer: "%.2fx" % (ours / peer), "alone": ()},
)


def stat_rows(cases, spec):
    """The headline rows of one HEADLINE_STAT_ROWS entry, from results["cases"]."""
    stats = cases.get(spec["at"][0], {}).get(spec["at"][1])
    if not stats:
        return []
    rows = []
    for name in spec["names"]:
        if not stats.get(name):
            continue
        row = [spec["case"], name + spec["unit"], fmt_stat(stats[name])]
        for peer_name in spec["peers"]:
            peer = stats.get(peer_name)
            row.append(fmt_stat(peer) if spec["show"](name) else "")
            row.append(spec["ratio"](stats[name]["median"], peer["median"])
                       if peer and spec["ratio_for"](name) else "")
        rows.append(tuple(row))
    for key, label in spec["alone"]:
        if stats.get(key):
            rows.append((spec["case"], label, "", fmt_stat(stats[key])))
    return rows


class Report:
    # -- targets -------------------------------------------------------------------------

    def targets(self):
        t = []
        C = self.results["cases"]

        def add(case, what, target, value, met, margin):
            t.append({"case": case, "what": what, "target": target, "value": value, "met": met, "margin": margin})

        s1 = C.get("startup_keyring", {}).get("whole_process")
        h1 = C.get("startup_keyring", {}).get("to_first_header", {})
        if s1 and s1.get("flytekit PKCEAuthenticator"):
            # To the first header where the program reports it (the CLI: whole process).
            def first(name):
                return (h1.get(name) or s1[name])["median"]
            fk = first("flytekit PKCEAuthenticator")
            f2 = first(FLYTE_SDK) if s1.get(FLYTE_SDK) else None
            for name, need in STARTUP_TARGETS.items():
                if not s1.get(name):
                    continue
                ratio = fk / first(name)
                add(1, "%s vs flytekit, to the first header (token in the kernel tier)%s"
                    % (name, " (whole process)" if name not in h1 else ""), ">= %dx faster" % need,
                    "%.1fx (%s ms vs %s ms)" % (ratio, fmt_num(first(name)), fmt_num(fk)), ratio >= need,
                    "%+.0f%% (%.1fx of %dx)" % ((ratio / need - 1) * 100, ratio, need))
                if f2:
                    # The faster peer, shown beside the target (the targets are against flytekit).
                    add(1, "%s vs flyte-sdk, to the first header%s" % (name, " (whole process)" if name not in h1 else ""),
                        "shown", "%.1fx (%s ms vs %s ms)" % (f2 / first(name), fmt_num(first(name)), fmt_num(f2)),
                        True, "n/a")
            for floor, of in (("bare C process (floor)", "C"), ("python -I -S -c 'import ctypes' (floor)", "Python binding")):
                if s1.get(floor) and s1.get(of):
                    add(1, "%s above its floor (%s)" % (of, floor), "shown", "%s ms over %s ms" % (
                        fmt_num(first(of) - s1[floor]["median"]), fmt_num(s1[floor]["median"])), True, "n/a")
            old = "C, old path (kernel tier off, Secret Service)"
            if s1.get(old):
                add(1, "C, old path (Secret Service) vs flytekit, to the first header", "no slower than before (25 ms)",
                    "%s ms (%.1fx)" % (fmt_num(first(old)), fk / first(old)), first(old) <= 25,
                    "%+.0f%% of 25 ms" % ((first(old) / 25 - 1) * 100))
        gt = C.get("per_call", {}).get("go_test_bench", {}).get("BenchmarkPerCallMetadata")
        if gt and gt.get("stats"):
            v = gt["stats"]["median"]
            add(3, "Go binding Metadata() per call, warm cache (go test -bench)", "<= 100 ns", "%.1f ns" % v, v <= 100,
                "%+.0f%% of the budget" % ((v / 100 - 1) * 100))
        pc = C.get("per_call", {}).get("stats")
        if pc:
            for variant in ("keyring PKCE", "passthrough"):
                one = pc.get("C, 1 thread (%s)" % variant)
                two = pc.get("C, 2 threads (%s)" % variant)
                if one:
                    v = one["median"]
                    add(3, "C per call, 1 thread (%s client)" % variant, "<= 100 ns", "%.1f ns" % v, v <= 100,
                        "%+.0f%% of the budget" % ((v / 100 - 1) * 100))
                if one and two:
                    r = two["median"] / one["median"]
                    add(3, "C per call, 2 threads / 1 thread (%s client)" % variant, "<= 1.5x",
                        "%.2fx (%.1f / %.1f ns)" % (r, two["median"], one["median"]), r <= 1.5,
                        "%+.0f%% of the budget" % ((r / 1.5 - 1) * 100))
            py, fkc = pc.get("Python binding metadata()"), pc.get("flytekit fetch_grpc_call_auth_metadata()")
            if py and fkc:
                r = py["median"] / fkc["median"]
                add(3, "Python binding per call vs flytekit", "<= 2x flytekit's",
                    "%.2fx (%.0f vs %.0f ns)" % (r, py["median"], fkc["median"]), r <= 2,
                    "%+.0f%% of the budget" % ((r / 2 - 1) * 100))
        st = C.get("storm", {}).get("shapes")
        if st:
            for key, v in st.items():
                ours = [r["token_requests"] for r in v["ours"]]
                theirs = [r["token_requests"] for r in v["theirs"]]
                met = bool(ours) and all(n == 1 for n in ours)
                add(4, "token requests, storm %s (processes x threads)" % key, "exactly 1 per storm",
                    "%s per storm over %d storms (flytekit: %s)" % (
                        "/".join(str(n) for n in sorted(set(ours))), len(ours),
                        "/".join(str(n) for n in sorted(set(theirs))) or "n/a"), met,
                    "met" if met else "up to %d extra" % (max(ours) - 1 if ours else 0))
        ex = C.get("expiry")
        if ex and ex.get("library"):
            p99 = ex["library"]["p99_ns"]
            add(5, "header call p99 across expiries", "< 1 ms",
                "%.1f us (p50 %.2f us, max %.2f ms)" % (p99 / 1e3, ex["library"]["p50_ns"] / 1e3,
                                                       ex["library"]["max_ns"] / 1e6), p99 < 1e6,
                "%.2f%% of the budget" % (p99 / 1e6 * 100))
            waited = ex["library"]["over_50ms"]
            slow_max = ex.get("slow_idp", {}).get("max_ns")
            met = waited == 0 and ex["expired_returned"] == 0
            add(5, "no caller waits for the IdP while a valid token exists",
                "0 calls >= the IdP round trip (%d ms injected); 0 expired tokens returned" % (IDP_DELAY_S * 1000),
                "%d calls > 50 ms, %d expired tokens, %d calls > 1 ms (control thread: %d)%s" % (
                    waited, ex["expired_returned"], ex["library"]["over_1ms"], ex["control"]["over_1ms"],
                    "; slowest call with the slow IdP %.2f ms" % (slow_max / 1e6) if slow_max else ""), met,
                "met" if met else "%d callers waited" % waited)
        fp = C.get("footprint")
        if fp and fp.get("so_bytes_as_staged"):
            size = fp["so_bytes_as_staged"]
            add(6, "libflyteauth.so size, stripped (as staged)", "<= 16 MB",
                "%.2f MB (%s bytes; strip --strip-all: %s)" % (size / MB, "{:,}".format(size),
                                                               "{:,}".format(fp["so_bytes_strip_all"])
                                                               if fp.get("so_bytes_strip_all") else "n/a"),
                size <= 16 * MB, "%+.0f%% of the budget" % ((size / (16 * MB) - 1) * 100))
            for name, v in fp.get("variants", {}).items():
                kb = v["added_total_kb"]["median"]
                budget = rss_budget_mb(name)
                add(6, "resident memory added, dlopen + first header, %s" % name, "<= %d MB" % budget,
                    "%.1f MB (dlopen alone %.1f MB; max over runs %.1f MB)" % (
                        kb * 1024 / MB, v["added_by_dlopen_kb"]["median"] * 1024 / MB,
                        v["added_total_kb"]["max"] * 1024 / MB),
                    kb * 1024 <= budget * MB, "%+.0f%% of the budget" % ((kb * 1024 / (budget * MB) - 1) * 100))
                if name.startswith("kernel"):
                    ms = v["dlopen_ms"]["median"]
                    add(6, "dlopen of libflyteauth alone", "<= 1.5 ms", "%.2f ms" % ms, ms <= 1.5,
                        "%+.0f%% of the budget" % ((ms / 1.5 - 1) * 100))
                    lazy = [o for o in v.get("shared_objects", []) if o.startswith(
                        ("libsecret", "libglib", "libgio", "libgobject", "libgcrypt", "libcrypto", "libssl", "libyaml", "libcurl"))]
                    add(6, "shared objects the warm path maps (kernel tier)", "none of libsecret/GLib/GIO/gcrypt/libcrypto/libyaml/libcurl",
                        ", ".join(v.get("shared_objects", [])), not lazy, "met" if not lazy else "maps " + ", ".join(lazy))
        self.results["targets"] = t
        return t

    # -- output -----------------------------------------------------------------------

    def headline_rows(self):
        """(case, measure, libflyteauth, flytekit, ratio) rows for the headline table."""
        rows = []
        C = self.results["cases"]
        for spec in HEADLINE_STAT_ROWS:
            rows.extend(stat_rows(C, spec))
        for bench_name, v in sorted(C.get("per_call", {}).get("go_test_bench", {}).items()):
            if v.get("stats"):
                rows.append(("3 per call, warm", "Go binding, go test -bench %s (ns; %s allocs/op)"
                             % (bench_name.replace("BenchmarkPerCall", ""), v.get("allocs_per_op")),
                             fmt_stat(v["stats"]), "", ""))
        st = C.get("storm", {}).get("shapes")
        if st:
            for key, v in st.items():
                rows.append(("4 refresh storm", "%s: token requests at the IdP" % key,
                             fmt_stat(v["ours_requests"]), fmt_stat(v["theirs_requests"]), ""))
                rows.append(("4 refresh storm", "%s: until every caller has a token (ms)" % key,
                             fmt_stat(v["ours_storm_ms"]), fmt_stat(v["theirs_storm_ms"]), ""))
        ex = C.get("expiry")
        if ex and ex.get("library"):
            L = ex["library"]
            rows.append(("5 across expiry (%d s, 4 s tokens)" % ex["seconds"], "p50 / p99 / max",
                         "%.2f us / %.2f us / %.2f ms" % (L["p50_ns"] / 1e3, L["p99_ns"] / 1e3, L["max_ns"] / 1e6),
                         "", ""))
            rows.append(("5 across expiry", "calls > 1 ms (control thread)",
                         "%d of %s (%d)" % (L["over_1ms"], "{:,}".format(L["calls"]), ex["control"]["over_1ms"]),
                         "", ""))
        fp = C.get("footprint")
        if fp and fp.get("so_bytes_as_staged"):
            rows.append(("6 footprint", "libflyteauth.so, stripped (MB)", "%.2f" % (fp["so_bytes_as_staged"] / MB),
                         "", ""))
            for name, v in fp.get("variants", {}).items():
                rows.append(("6 footprint", "RSS added, %s (MB)" % name,
                             fmt_stat({k: (x * 1024 / MB if isinstance(x, (int, float)) and k != "n" else x)
                                       for k, x in v["added_total_kb"].items()}), "", ""))
        return [tuple(row) + ("",) * (7 - len(row)) for row in rows]

    def chart(self, path):
        C = self.results["cases"]
        panels = []

        def bars_from(stats, kinds, names, unit_scale=1.0):
            out = []
            for label, name in names:
                s = stats.get(name)
                if not s:
                    continue
                out.append({"label": label, "value": s["median"] * unit_scale,
                            "lo": s["p25"] * unit_scale, "hi": s["p75"] * unit_scale, "kind": kinds.get(name, "ours")})
            return out

        s1 = C.get("startup_keyring", {})
        if s1.get("whole_process"):
            panels.append({"title": "1. PROCESS START TO FIRST HEADER, TOKEN IN KEYRING", "unit": "MS", "log": True,
                           "bars": bars_from(s1["whole_process"], s1["kinds"], [
                               ("C", "C"), ("PYTHON BINDING", "Python binding"), ("GO BINDING", "Go binding"),
                               ("FLYTEAUTH TOKEN (CLI)", "flyteauth token (CLI)"),
                               ("FLYTEKIT PKCE AUTHENTICATOR", "flytekit PKCEAuthenticator"),
                               ("FLYTE-SDK PKCE AUTHENTICATOR", FLYTE_SDK),
                               ("IMPORT FLYTEKIT ALONE", "python -c 'import flytekit'"),
                               ("PYTHON -C PASS", "python -c 'pass'"), ("/BIN/TRUE", "/bin/true")])})
        s2 = C.get("startup_client_credentials", {})
        if s2.get("whole_process"):
            panels.append({"title": "2. PROCESS START TO FIRST HEADER, CLIENT CREDENTIALS", "unit": "MS", "log": True,
                           "bars": bars_from(s2["whole_process"], s2["kinds"], [
                               ("C", "C"), ("PYTHON BINDING", "Python binding"),
                               ("FLYTEKIT CLIENT CREDENTIALS", "flytekit ClientCredentialsAuthenticator")])})
        pc = C.get("per_call", {})
        if pc.get("stats"):
            panels.append({"title": "3. PER-CALL COST OF THE HEADER, WARM CACHE", "unit": "NS", "log": True,
                           "target": 100, "target_label": "C TARGET 100 NS",
                           "bars": bars_from(pc["stats"], pc["kinds"], [
                               ("C 1 THREAD (KEYRING PKCE)", "C, 1 thread (keyring PKCE)"),
                               ("C 2 THREADS (KEYRING PKCE)", "C, 2 threads (keyring PKCE)"),
                               ("C 1 THREAD (PASSTHROUGH)", "C, 1 thread (passthrough)"),
                               ("C 2 THREADS (PASSTHROUGH)", "C, 2 threads (passthrough)"),
                               ("C FLOOR 1 THREAD", "C floor: mutex + strdup/free, 1 thread"),
                               ("C FLOOR 2 THREADS", "C floor: mutex + strdup/free, 2 threads"),
                               ("GO BINDING METADATA()", "Go binding Metadata()"),
                               ("PYTHON BINDING METADATA()", "Python binding metadata()"),
                               ("FLYTEKIT FETCH_..._METADATA()", "flytekit fetch_grpc_call_auth_metadata()")])})
        st = C.get("storm", {}).get("shapes")
        if st:
            bars = []
            for key, v in st.items():
                for impl, label, kind in (("ours", "LIBFLYTEAUTH", "ours"), ("theirs", "FLYTEKIT", "theirs")):
                    s = v.get(impl + "_requests")
                    if s:
                        bars.append({"label": "%s %s" % (label, key.upper().replace("X", " X ")),
                                     "value": s["median"], "lo": s["min"], "hi": s["max"], "kind": kind,
                                     "text": "%g" % s["median"]})
            panels.append({"title": "4. TOKEN REQUESTS AT THE IDP, REFRESH STORM (PROCESSES X THREADS)",
                           "unit": "REQUESTS", "log": False, "bars": bars, "target": 1, "target_label": "TARGET 1"})
        ex = C.get("expiry")
        if ex and ex.get("library"):
            L, K = ex["library"], ex["control"]
            panels.append({"title": "5. HEADER CALL ACROSS EXPIRIES, %d S, 4 S TOKENS" % ex["seconds"], "unit": "US",
                           "log": True, "target": 1000, "target_label": "P99 TARGET 1 MS",
                           "bars": [{"label": "LIBFLYTEAUTH P50", "value": L["p50_ns"] / 1e3, "kind": "ours"},
                                    {"label": "LIBFLYTEAUTH P99", "value": L["p99_ns"] / 1e3, "kind": "ours"},
                                    {"label": "LIBFLYTEAUTH P99.9", "value": L["p999_ns"] / 1e3, "kind": "ours"},
                                    {"label": "LIBFLYTEAUTH MAX", "value": L["max_ns"] / 1e3, "kind": "ours"},
                                    {"label": "CONTROL (STRDUP) P99", "value": K["p99_ns"] / 1e3, "kind": "base"},
                                    {"label": "CONTROL (STRDUP) MAX", "value": K["max_ns"] / 1e3, "kind": "base"}]})
        fp = C.get("footprint")
        if fp and fp.get("so_bytes_as_staged"):
            bars = [{"label": ".SO SIZE, STRIPPED", "value": fp["so_bytes_as_staged"] / MB, "kind": "ours",
                     "target": SO_TARGET_MB, "target_label": "%d MB" % SO_TARGET_MB}]
            for name, v in fp.get("variants", {}).items():
                s = v["added_total_kb"]
                budget = rss_budget_mb(name)
                bars.append({"label": rss_label(name),
                             "value": s["median"] * 1024 / MB, "lo": s["min"] * 1024 / MB, "hi": s["max"] * 1024 / MB,
                             "kind": "ours", "target": budget, "target_label": "%d MB" % budget})
            panels.append({"title": "6. FOOTPRINT, RED MARKS: TARGETS (RSS ADDED BY DLOPEN + FIRST HEADER)",
                           "unit": "MB", "log": False, "bars": bars})
        m = self.results.get("machine", {})
        chart.render(path, panels, title="LIBFLYTEAUTH BENCHMARKS (%s RUN)" % self.mode.upper(),
                     subtitle="%s, %s CPUS, %s; %s" % (self.results.get("date", ""), m.get("nproc"),
                                                      (m.get("cpu") or "")[:40], m.get("host", "")))

    def markdown(self, json_rel, png_rel):
        r = self.results
        m, tl = r.get("machine", {}), r.get("tools", {})
        out = []
        w = out.append
        w("# libflyteauth benchmarks\n")
        w("Produced by `%s` (%s run) on %s; the run took %.1f minutes. Raw results: `%s`; chart: `%s`. "
          "Regenerate with `make bench` (or `bash bench/run.sh`); `bash bench/run.sh --quick` for a short "
          "development run, `bash bench/run.sh --smoke` for CI (each case once, fails only on errors).\n"
          % (r["command"], r["mode"], r.get("date"), r.get("duration_s", 0) / 60, json_rel, png_rel))
        w("Figures are medians over repeated runs with [p25-p75] and (min-max); never single runs. "
          "libflyteauth and flytekit run side by side in the same session, interleaved in random order.\n")
        w("## Machine and tools\n")
        w("| | |\n|---|---|")
        w("| host | %s |" % m.get("host"))
        w("| CPU | %s, nproc %s |" % (m.get("cpu"), m.get("nproc")))
        w("| memory | %s GiB |" % m.get("memory_gib"))
        w("| OS, kernel | %s, %s |" % (m.get("os"), m.get("kernel")))
        w("| load average at start / end | %s / %s |" % (
            ", ".join("%.2f" % x for x in m.get("loadavg_start", [])),
            ", ".join("%.2f" % x for x in m.get("loadavg_end", []))))
        w("| libflyteauth | %s (`%s`, sha256 %s...), checkout at commit %s%s |" % (
            tl.get("libflyteauth"), os.path.relpath(tl.get("libflyteauth_so"), ROOT)
            if tl.get("libflyteauth_so", "").startswith(ROOT) else tl.get("libflyteauth_so"),
            tl.get("libflyteauth_so_sha256"), tl.get("git_commit"),
            " with uncommitted changes" if tl.get("git_dirty") else ""))
        w("| C compiler | %s |" % tl.get("cc"))
        w("| Go | %s (bench program: %s) |" % (tl.get("go"), r["implementations"]["go"]))
        w("| Python | %s, `%s` -> `%s` (ELF: %s, not a pyenv shim) (bench program: %s) |" % (
            tl.get("python"), tl.get("python_interpreter"), tl.get("python_real_binary"),
            tl.get("python_is_elf_not_shim"), r["implementations"]["python"]))
        w("| flytekit, keyring | %s, %s |" % (tl.get("flytekit"), tl.get("keyring")))
        w("| flyte-sdk (case 1's second peer) | %s, `%s` |" % (tl.get("flyte_sdk"), tl.get("flyte_sdk_interpreter")))
        w("| glewlwyd (IdP), gnome-keyring | %s, %s |" % (tl.get("glewlwyd"), tl.get("gnome_keyring")))
        w("")
        w("## Headline\n")
        w("![headline figures](%s)\n" % png_rel)
        w("| case | measure | libflyteauth | flytekit | flytekit / libflyteauth | flyte-sdk | flyte-sdk / libflyteauth |")
        w("|---|---|---|---|---|---|---|")
        for row in self.headline_rows():
            w("| %s |" % " | ".join(row))
        w("")
        w("## Targets\n")
        w("| case | target | required | result | met? | margin |")
        w("|---|---|---|---|---|---|")
        for t in r.get("targets", []):
            w("| %d | %s | %s | %s | %s | %s |" % (t["case"], t["what"], t["target"], t["value"],
                                                  "**met**" if t["met"] else "**MISSED**", t["margin"]))
        if r["errors"]:
            w("\n**Errors in this run:**\n")
            for e in r["errors"]:
                w("- %s" % e)
        w("")
        w(self.details_markdown())
        return "\n".join(out) + "\n"

    def details_markdown(self):
        C = self.results["cases"]
        out = []
        w = out.append
        w("## Cases in detail\n")
        s1 = C.get("startup_keyring")
        if s1 and s1.get("whole_process"):
            w("### 1. Process start to first header, token already cached\n")
            w("One PKCE login through the library at the start (the harness plays the user); the library "
              "stores it in the kernel keyring tier (the run's own session keyring, `keyctl session -`) and the "
              "Secret Service, and mirrors it into flytekit's layout. libflyteauth's rows read it from the kernel "
              "tier, except the old-path row (`kernel_keyring: off`: the Secret Service over D-Bus, as before "
              "this tier existed); the headless row runs with no session bus at all. flytekit reads the same token "
              "from the same private gnome-keyring; the floors are a C program that does nothing and "
              "`python -I -S -c 'import ctypes'` (checked: same header fingerprint everywhere: "
              "%s; token requests at the IdP during the case: %s; discovery requests: %s, the library's disk "
              "cache serves them). flytekit runs `PKCEAuthenticator(endpoint, StaticClientConfigStore(...))`, whose "
              "constructor loads the token through `KeyringStore.retrieve`, then `fetch_grpc_call_auth_metadata()`: "
              "flytekit's best case, without its two discovery round trips. Whole process: spawn to exit, "
              "measured by the benchmark; to first header: from just before spawn to the moment the program holds "
              "the header (reported by the program on the same monotonic clock).\n"
              % (s1.get("same_token_everywhere"), s1.get("token_requests_during_case"),
                 s1.get("discovery_requests_during_case")))
            w("flyte-sdk (Flyte 2), the second peer, runs its own `PKCEAuthenticator(endpoint=\"dns:///...\", "
              "cfg_store=StaticClientConfigStore(...))` and `get_auth_headers()` in its own venv (`bench/py_flyte2.py`): "
              "its constructor reads its `tokens` item from the same keyring (the library's mirror), its best case "
              "too. The targets stay against flytekit; the ratios against flyte-sdk are shown beside them.\n")
            w("| program | whole process (ms) | to first header (ms) |")
            w("|---|---|---|")
            for name, s in s1["whole_process"].items():
                w("| %s | %s | %s |" % (name, fmt_stat(s), fmt_stat(s1.get("to_first_header", {}).get(name))))
            four = s1.get("c_4_at_once_to_header_ms")
            if four:
                w("\nFour C processes started at the same moment (no target; a fan-out of workers): to first header "
                  "%s for the slowest, %s for the median one, against %s for one alone. The first read of the "
                  "token cache takes no lock (only refreshes do), so the processes do not queue behind each "
                  "other; what remains is two cores shared by four processes and one gnome-keyring daemon.\n"
                  % (fmt_stat(four["slowest"], " ms"), fmt_stat(four["median"], " ms"),
                     fmt_stat(s1.get("to_first_header", {}).get("C"), " ms")))
            fpv = C.get("footprint", {}).get("variants", {}).get("kernel tier PKCE (token from the kernel keyring)")
            if fpv:
                w("\nWhere a C program's time goes (the footprint host below, median of %d): `dlopen` of "
                  "libflyteauth %s ms, `flyteauth_client_new` %s ms, the first header (one read of the kernel "
                  "keyring) %s ms; the rest is exec, the dynamic loader and exit. Shared objects that process maps "
                  "(/proc/self/maps): %s.\n"
                  % (fpv["dlopen_ms"]["n"], fmt_num(fpv["dlopen_ms"]["median"]),
                     fmt_num(fpv["client_new_ms"]["median"]), fmt_num(fpv["first_header_ms"]["median"]),
                     ", ".join(fpv.get("shared_objects", [])) or "n/a"))
            ph = s1.get("python_phases")
            if ph:
                w("\nWhere the Python binding's time goes (median of %s runs): interpreter start %s ms, "
                  "`import flyteauth` %s ms, loading the library (dlopen and the ctypes declarations) %s ms, "
                  "`Client()` %s ms, first `metadata()` %s ms. Largest imports under "
                  "`import flyteauth` (cumulative ms, `-X importtime`): %s.\n"
                  % (max(3, min(7, self.p["startup"])), ph["interpreter_start_ms"], ph["import_flyteauth_ms"],
                     ph["load_library_ms"], ph["client_new_ms"],
                     ph["first_metadata_ms"], ", ".join("%s %s" % (n, ms) for n, ms in ph["import_tree_top_ms"])))
            w("")
        s2 = C.get("startup_client_credentials")
        if s2 and s2.get("whole_process"):
            w("### 2. Process start to first header, client credentials\n")
            w("Settings `keyring: false`, no file cache: every run makes its own token request, counted at the "
              "front: token requests per run %s (every run checked to be exactly 1); other requests per run (the "
              "library's discovery is on its disk cache, flytekit is given a static config): %s.\n"
              % (s2.get("token_requests_per_run"), s2.get("discovery_requests_per_run")))
            w("| program | whole process (ms) | to first header (ms) |")
            w("|---|---|---|")
            for name, s in s2["whole_process"].items():
                w("| %s | %s | %s |" % (name, fmt_stat(s), fmt_stat(s2.get("to_first_header", {}).get(name))))
            w("")
        pc = C.get("per_call")
        if pc and pc.get("stats"):
            w("### 3. Per-call cost of the header, warm cache\n")
            w("Each figure is one process measuring %.1f s of back-to-back calls (after a warm-up); the spread "
              "is across %d such processes. C: `bench/metadata_bench` (call + `flyteauth_metadata_free`), with a "
              "passthrough client and with a PKCE client whose token came from the keyring; the floor is a "
              "mutex-protected strdup/free of a string as long as the token (%d characters). Python: "
              "`Client.metadata()`; Go: `Client.Metadata(ctx)` (a map, as gRPC wants) and `Headers(ctx)`; "
              "flytekit: `fetch_grpc_call_auth_metadata()` of a PKCEAuthenticator holding the keyring token. "
              "Per-thread wall time per call.\n" % (pc["seconds_per_measurement"], self.p["percall"],
                                                    pc["token_length"]))
            w("| implementation | ns per call |")
            w("|---|---|")
            for name, s in pc["stats"].items():
                w("| %s | %s |" % (name, fmt_stat(s)))
            w("")
        st = C.get("storm")
        if st and st.get("shapes"):
            w("### 4. Refresh storm\n")
            w("P processes x T threads, each holding a valid token from the keyring, all told at the same instant "
              "(a shared CLOCK_MONOTONIC start time) that it was rejected. libflyteauth: "
              "`flyteauth_client_refresh(client, rejected)` (C, `bench/storm.c`); flytekit: "
              "`PKCEAuthenticator.refresh_credentials()` from T threads sharing one authenticator per process "
              "(`bench/py_flytekit.py storm`). Token requests counted at the front. With 4 processes, "
              "libflyteauth's time is mostly the cross-process lock: the process that wins refreshes, the others "
              "poll the lock (`flock(LOCK_NB)`, sleeps of 1, 2, 4, 8, then 10 ms) and then re-read the keyring.\n")
            w("| shape | libflyteauth requests | flytekit requests | libflyteauth ms until all callers have a token "
              "| flytekit ms | flytekit outcomes (all storms) |")
            w("|---|---|---|---|---|---|")
            for key, v in st["shapes"].items():
                oc = {}
                for r in v["theirs"]:
                    for k, n in r.get("outcomes", {}).items():
                        oc[k] = oc.get(k, 0) + n
                w("| %s | %s | %s | %s | %s | %s |" % (
                    key, fmt_stat(v["ours_requests"]), fmt_stat(v["theirs_requests"]), fmt_stat(v["ours_storm_ms"]),
                    fmt_stat(v["theirs_storm_ms"]), ", ".join("%s: %d" % kv for kv in sorted(oc.items()))))
            w("\nflytekit outcomes: `ok` = the thread's refresh request succeeded; `login` = the thread found no "
              "refresh token in the authenticator's memory (an earlier thread's refresh had replaced the "
              "credentials with a response carrying none, as a non-rotating IdP answers) and flytekit fell back to "
              "a full browser login, which the benchmark stops instead of opening a browser; any other name is "
              "the exception the refresh raised. The front listens with a backlog of 128 "
              "(`bench/harness_serve.py`), so simultaneous requests are not refused by the harness itself.\n")
        ex = C.get("expiry")
        if ex and ex.get("library"):
            L, K = ex["library"], ex["control"]
            w("### 5. Latency across expiry\n")
            w("`bench/expiry_bench.c`: %d caller threads each call `flyteauth_client_metadata()` every %d us for "
              "%d s with 4-second access tokens (refresh window: half the lifetime), timing every call; a control "
              "thread times a mutex + strdup/free at the same cadence to show this machine's scheduling noise. "
              "From %.0f s on, the front delays every token request by %d ms, so a caller that waited for the "
              "IdP would show it. Token requests at the IdP during the run: %s %s; token changes seen by one "
              "caller: %d; calls that returned an expired token: %d; failed calls: %d.\n"
              % (ex["callers"], ex["interval_us"], ex["seconds"], ex.get("delay_switched_at_s") or 0,
                 IDP_DELAY_S * 1000, ex["token_requests"], ex["token_requests_by_grant"], ex["token_changes_seen"],
                 ex["expired_returned"], ex["errors"]))
            w("| | calls | p50 | p90 | p99 | p99.9 | max | > 1 ms | > 10 ms | > 50 ms |")
            w("|---|---|---|---|---|---|---|---|---|---|")
            for name, s in (("libflyteauth", L), ("control (strdup)", K)):
                w("| %s | {:,} | %.2f us | %.2f us | %.2f us | %.2f us | %.3f ms | %d | %d | %d |".format(s["calls"])
                  % (name, s["p50_ns"] / 1e3, s["p90_ns"] / 1e3, s["p99_ns"] / 1e3, s["p999_ns"] / 1e3,
                     s["max_ns"] / 1e6, s["over_1ms"], s["over_10ms"], s["over_50ms"]))
            for half, label in (("fast_idp", "IdP at full speed"), ("slow_idp", "IdP slowed by %d ms" %
                                                                      (IDP_DELAY_S * 1000))):
                h = ex.get(half)
                if h:
                    w("\n%s (%d windows of %d s): worst window p99 %.2f us, max %.3f ms, calls > 1 ms: %d "
                      "(control: %d), > 50 ms: %d." % (label, ex.get(half + "_windows", 0), self.p["window"],
                                                       h["p99_ns_worst_window"] / 1e3, h["max_ns"] / 1e6,
                                                       h["over_1ms"], h["control_over_1ms"], h["over_50ms"]))
            if ex.get("window_p99_ns"):
                s = ex["window_p99_ns"]
                w("\np99 per %d-s window: median %.2f us, min %.2f us, max %.2f us (%d windows)."
                  % (self.p["window"], s["median"] / 1e3, s["min"] / 1e3, s["max"] / 1e3, s["n"]))
            if ex.get("slow_calls"):
                w("\nLibrary calls over 1 ms [offset ms, duration ns] (first %d): %s; token changes at (ms): "
                  "see the JSON." % (len(ex["slow_calls"]), ex["slow_calls"][:20]))
            w("")
        fp = C.get("footprint")
        if fp and fp.get("variants"):
            w("### 6. Footprint\n")
            w("`%s`: %s bytes as staged (`strip --strip-unneeded`), %s bytes after `strip --strip-all`. "
              "Resident memory from `bench/footprint.c`, a C host not linked with the library: VmRSS before "
              "`dlopen`, after it, and after `flyteauth_client_new` + the first header.\n"
              % (os.path.basename(fp["so_path"]), "{:,}".format(fp["so_bytes_as_staged"]),
                 "{:,}".format(fp["so_bytes_strip_all"]) if fp.get("so_bytes_strip_all") else "n/a"))
            w("| first header via | RSS before (kB) | added by dlopen (kB) | added in total (kB) | process RSS after: "
              "anonymous / file-backed (kB) | PSS added (kB) |")
            w("|---|---|---|---|---|---|")
            for name, v in fp["variants"].items():
                w("| %s | %s | %s | %s | %s / %s | %s |" % (
                    name, fmt_stat(v["rss_before_kb"]), fmt_stat(v["added_by_dlopen_kb"]),
                    fmt_stat(v["added_total_kb"]), fmt_num(v["rss_anon_kb"]["median"]),
                    fmt_num(v["rss_file_kb"]["median"]), fmt_stat(v["pss_added_kb"])))
            w("\nFile-backed pages are the clean text and read-only data of the library and its dependencies, "
              "shared with every other process that maps the same files; PSS divides them among those "
              "processes.")
            for name, v in fp["variants"].items():
                w("\nResident memory by mapping after the first header (%s; one run, kB): %s." % (
                    name, ", ".join("%s %d" % (n, kb) for n, kb in v["rss_by_mapping_kb"])))
            w("\nTime inside the same host (median ms): %s." % "; ".join(
                "%s: dlopen %s, client %s, first header %s" % (
                    name, fmt_num(v["dlopen_ms"]["median"]), fmt_num(v["client_new_ms"]["median"]),
                    fmt_num(v["first_header_ms"]["median"])) for name, v in fp["variants"].items()))
            w("")
        w("## Method and caveats\n")
        w("- Everything runs on 127.0.0.1: a private glewlwyd 2.7 behind the Flyte front of `Tests/e2e/harness`, "
          "and a private gnome-keyring (`Tests/e2e/keyring-session.sh`); both are stopped by pid at the end.")
        w("- Process timings include spawning from Python (`/bin/true` shows that floor) and run on a shared "
          "2-core machine: compare rows of the same run, not runs across machines. The load average at start "
          "and end is recorded above.")
        w("- flytekit is measured at its best: a static client config (no discovery round trips), the "
          "interpreter binary itself (no pyenv shim), warm page cache and `.pyc` files.")
        w("- The programs never print a token: header keys, lengths and 64-bit FNV-1a fingerprints only.")
        # The start-up method (bench/startup_profile.sh) and where the time and memory go: prose
        # kept beside the benchmarks, not figures of this run.
        extra = os.path.join(ROOT, "bench", "startup.md")
        if os.path.exists(extra):
            w("")
            w(open(extra).read().rstrip("\n"))
        return "\n".join(out)

    def print_summary(self):
        print()
        print("%-38s %-52s %-44s %-44s %-7s %-44s %s" % ("case", "measure", "libflyteauth", "flytekit", "ratio",
                                                         "flyte-sdk", "ratio"))
        for row in self.headline_rows():
            print("%-38s %-52s %-44s %-44s %-7s %-44s %s" % row)
        print()
        for t in self.results.get("targets", []):
            print("case %d  %-7s  %s: %s (required %s; %s)" % (t["case"], "met" if t["met"] else "MISSED",
                                                              t["what"], t["value"], t["target"], t["margin"]))
        if self.errors:
            print("\nerrors:")
            for e in self.errors:
                print("  " + e)

    # -- main ------------------------------------------------------------------------------

