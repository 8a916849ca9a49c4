package flyteauth_test

// TestMain starts the e2e harness (Tests/e2e: a private glewlwyd behind a Flyte
// discovery front, on 127.0.0.1) and stops it at the end, also on failure or
// SIGINT/SIGTERM. Tests that need it call needStack. FLYTEAUTH_GO_NO_E2E=1 skips
// them instead. Nothing here prints a token or a secret.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type harnessState struct {
	Endpoint            string `json:"endpoint"`
	Idp                 string `json:"idp"`
	ServiceClientID     string `json:"service_client_id"`
	ServiceClientSecret string `json:"service_client_secret"`
	PublicClientID      string `json:"public_client_id"`
	Username            string `json:"username"`
	Password            string `json:"password"`
	CountsURL           string `json:"counts_url"`
	ResetURL            string `json:"reset_url"`
}

var (
	repoRoot     string
	e2eDir       string
	workDir      string // private temp dir of this test binary
	stack        *harnessState
	stackErr     error
	statePath    string
	redirectPort int
	python       = "python3"
	downOnce     sync.Once
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// Never the user's own kernel keyring (the tier defaults to persistent): only a run
	// inside a session keyring of its own may use it.
	if os.Getenv("FLYTEAUTH_KERNEL_KEYRING") != "session" {
		os.Setenv("FLYTEAUTH_KERNEL_KEYRING", "off")
	}
	_, file, _, _ := runtime.Caller(0)
	// bindings/go/flyteauth/main_test.go -> repository root
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
	e2eDir = filepath.Join(repoRoot, "Tests", "e2e")
	if p := os.Getenv("PYTHON"); p != "" {
		python = p
	}
	var err error
	workDir, err = os.MkdirTemp("", "flyteauth-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdtemp:", err)
		return 2
	}
	defer os.RemoveAll(workDir)
	// Keep the library's discovery cache, lock files and any file cache out of $HOME.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(workDir, "xdg-cache"))
	os.Setenv("XDG_STATE_HOME", filepath.Join(workDir, "xdg-state"))
	os.Unsetenv("FLYTE_API_KEY")
	os.Unsetenv("FLYTECTL_CONFIG")

	if os.Getenv("FLYTEAUTH_GO_NO_E2E") == "" {
		startHarness()
		defer stopHarness()
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		go func() {
			s := <-sigs
			stopHarness()
			os.RemoveAll(workDir)
			fmt.Fprintf(os.Stderr, "flyteauth tests: %v, harness stopped\n", s)
			os.Exit(130)
		}()
	}
	return m.Run()
}

func startHarness() {
	if _, err := os.Stat(filepath.Join(e2eDir, "harness", "__main__.py")); err != nil {
		stackErr = fmt.Errorf("e2e harness not found at %s: %v", e2eDir, err)
		return
	}
	redirectPort = freePort()
	statePath = filepath.Join(workDir, "harness-state.json")
	cmd := exec.Command(python, "-m", "harness", "up", "--state", statePath,
		"--access-token-duration", "4", "--redirect-port", fmt.Sprint(redirectPort), "--max-seconds", "1200")
	cmd.Dir = e2eDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		stackErr = fmt.Errorf("harness up: %v\n%s", err, out)
		return
	}
	raw, err := os.ReadFile(statePath)
	if err != nil {
		stackErr = err
		return
	}
	var st harnessState
	if err := json.Unmarshal(raw, &st); err != nil {
		stackErr = err
		return
	}
	stack = &st
}

func stopHarness() {
	downOnce.Do(func() {
		if statePath == "" {
			return
		}
		cmd := exec.Command(python, "-m", "harness", "down", "--state", statePath)
		cmd.Dir = e2eDir
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "harness down: %v\n%s", err, out)
		}
	})
}

// needStack returns the harness state or ends the test: a failure when the harness
// did not start, a skip when FLYTEAUTH_GO_NO_E2E is set.
func needStack(t *testing.T) *harnessState {
	t.Helper()
	if os.Getenv("FLYTEAUTH_GO_NO_E2E") != "" {
		t.Skip("FLYTEAUTH_GO_NO_E2E set")
	}
	if stack == nil {
		t.Fatalf("e2e harness unavailable: %v", stackErr)
	}
	return stack
}

// plainHTTP talks to the harness without environment proxies.
var plainHTTP = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}

// tokenRequests is the number of token requests the Flyte front has seen.
func tokenRequests(t *testing.T) int {
	t.Helper()
	resp, err := plainHTTP.Get(needStack(t).Endpoint + "/_test/counts")
	if err != nil {
		t.Fatalf("counts: %v", err)
	}
	defer resp.Body.Close()
	var c struct {
		TokenTotal int `json:"token_total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatalf("counts: %v", err)
	}
	return c.TokenTotal
}

// freePort is a loopback port free now, below Linux's ephemeral range (32768-60999), so
// an outgoing connection cannot take it before the listener under test binds it.
func freePort() int {
	p := 10000 + int(time.Now().UnixNano()%22000)
	for i := 0; i < 22000; i, p = i+1, 10000+(p-10000+7919)%22000 {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			l.Close()
			return p
		}
	}
	panic("no free loopback port in 10000-31999")
}

// script writes an executable shell script into a fresh temp dir and returns its path.
func script(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// jwtCommand prints a fake JWT (exp = now + lifetime, unique payload) and appends a
// line to counter per run.
func jwtCommand(t *testing.T, lifetime int) (cmd, counter string) {
	t.Helper()
	dir := t.TempDir()
	counter = filepath.Join(dir, "runs")
	body := fmt.Sprintf(`echo run >> %s
exp=$(( $(date +%%s) + %d ))
payload=$(printf '{"exp":%%s,"n":"%%s"}' "$exp" "$(date +%%s%%N)" | base64 -w0 | tr '+/' '-_' | tr -d '=')
echo "eyJhbGciOiJub25lIn0.$payload.sig"`, counter, lifetime)
	cmd = filepath.Join(dir, "jwt.sh")
	if err := os.WriteFile(cmd, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return cmd, counter
}

func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// redact shows the start of a secret only (for failure messages).
func redact(s string) string {
	if len(s) > 10 {
		return s[:10] + "..."
	}
	return "<redacted>"
}
