"""What `make` stages besides the tool: the man page's sections and the shell completions."""
import os
import shutil
import subprocess


from cliutil import ROOT, TOOL

SHARE = os.path.join(os.path.dirname(os.path.dirname(TOOL)), "share")
SUBCOMMANDS = ["login", "token", "whoami", "status", "logout", "config", "doctor"]


def staged(*parts):
    path = os.path.join(SHARE, *parts)
    assert os.path.isfile(path), "%s is not staged (run make)" % path
    return open(path).read()


def test_man_page_has_exit_status_environment_and_files():
    page = staged("man", "man1", "flyteauth.1")
    for section in (".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES", ".SS flyteauth doctor"):
        assert section in page
    exit_status = page.split(".SH EXIT STATUS", 1)[1].split(".SH", 1)[0]
    for code in ("0", "2", "3", "4", "5", "7", "64"):
        assert ".B %s\n" % code in exit_status
    assert "FLYTEAUTH_LOG" in page.split(".SH ENVIRONMENT", 1)[1].split(".SH", 1)[0]
    if shutil.which("man"):
        r = subprocess.run(["man", "-l", os.path.join(SHARE, "man", "man1", "flyteauth.1")], capture_output=True, text=True,
                           timeout=60, env=dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING="0"))
        assert r.returncode == 0 and "EXIT STATUS" in r.stdout and "cancelled" in r.stdout


def test_bash_completion_loads_and_completes_subcommands():
    text = staged("bash-completion", "completions", "flyteauth")
    assert not text.startswith("#!"), "sourced, not run (lintian: bash-completion-with-hashbang)"
    for sub in SUBCOMMANDS:
        assert sub in text
    script = ("source %s; COMP_WORDS=(flyteauth do); COMP_CWORD=1; COMP_LINE='flyteauth do'; COMP_POINT=12; "
              "$(complete -p flyteauth | sed -e 's/.*-F \\([^ ]*\\) .*/\\1/') flyteauth do flyteauth; "
              "printf '%%s\\n' \"${COMPREPLY[@]}\"") % os.path.join(SHARE, "bash-completion", "completions", "flyteauth")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "doctor" in r.stdout.split(), r.stdout


def test_zsh_and_fish_completions_name_every_subcommand():
    zsh = staged("zsh", "vendor-completions", "_flyteauth")
    fish = staged("fish", "vendor_completions.d", "flyteauth.fish")
    assert zsh.startswith("#compdef flyteauth")
    assert "complete -c 'flyteauth'" in fish
    for sub in SUBCOMMANDS:
        assert sub in zsh and sub in fish


def test_debian_package_installs_the_completions():
    listed = open(os.path.join(ROOT, "debian", "flyteauth.install")).read().split()
    for path in ("usr/share/bash-completion/completions/flyteauth", "usr/share/zsh/vendor-completions/_flyteauth",
                 "usr/share/fish/vendor_completions.d/flyteauth.fish"):
        assert path in listed


def test_man_page_lists_common_options_once_never_hyphenates_and_names_both_prefixes():
    page = staged("man", "man1", "flyteauth.1")
    assert page.count(".B \\-\\-endpoint, \\-e") + page.count(".B \\-e, \\-\\-endpoint") == 1, "common options once"
    assert ".SH OPTIONS" in page and ".hy 0" in page
    files = page.split(".SH FILES", 1)[1].split(".SH", 1)[0]
    assert "/usr/local" in files and "/usr " in files.replace(",", " ")
    r = subprocess.run(["man", "-l", os.path.join(SHARE, "man", "man1", "flyteauth.1")], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
    assert r.returncode == 0
    hyphenated = [l for l in r.stdout.split("\n") if l.rstrip().endswith("-") and not l.rstrip().endswith(" -")]
    assert not hyphenated, hyphenated


def test_bash_completes_auth_type_values():
    script = ("source %s; COMP_WORDS=(flyteauth login --auth-type ''); COMP_CWORD=3; "
              "COMP_LINE='flyteauth login --auth-type '; COMP_POINT=${#COMP_LINE}; "
              "$(complete -p flyteauth | sed -e 's/.*-F \\([^ ]*\\) .*/\\1/') flyteauth '' --auth-type; "
              "printf '%%s\\n' \"${COMPREPLY[@]}\"") % os.path.join(SHARE, "bash-completion", "completions", "flyteauth")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert {"Pkce", "DeviceFlow", "ClientSecret"} <= set(r.stdout.split()), r.stdout
