// Package e2e runs the repository's end-to-end harness (Tests/e2e: glewlwyd behind the
// Flyte front, 127.0.0.1 only) for the Go adapters' tests: one TestMain, the stack's
// state, a client-credentials client and the front's token-request count.
package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
)

// State is what the harness writes to its state file.
type State struct {
	Endpoint            string `json:"endpoint"`
	ServiceClientID     string `json:"service_client_id"`
	ServiceClientSecret string `json:"service_client_secret"`
	CountsURL           string `json:"counts_url"`
}

var (
	stack    *State
	stackErr error
)

// Main starts the harness, runs the tests, and stops it by its state file's pids:
// func TestMain(m *testing.M) { os.Exit(e2e.Main(m, "flyteauthgrpc-")) }.
func Main(m *testing.M, prefix string) int {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "Tests", "e2e")
	work, err := os.MkdirTemp("", prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(work)
	os.Setenv("XDG_CACHE_HOME", filepath.Join(work, "cache"))
	os.Setenv("XDG_STATE_HOME", filepath.Join(work, "state"))
	state := filepath.Join(work, "harness.json")
	up := exec.Command("python3", "-m", "harness", "up", "--state", state, "--access-token-duration", "60", "--max-seconds", "600")
	up.Dir = dir
	if out, err := up.CombinedOutput(); err != nil {
		stackErr = fmt.Errorf("harness up: %v\n%s", err, out)
	} else if raw, err := os.ReadFile(state); err != nil {
		stackErr = err
	} else {
		var st State
		if stackErr = json.Unmarshal(raw, &st); stackErr == nil {
			stack = &st
		}
		defer func() {
			down := exec.Command("python3", "-m", "harness", "down", "--state", state)
			down.Dir = dir
			if out, err := down.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "harness down: %v\n%s", err, out)
			}
		}()
	}
	return m.Run()
}

// Stack is the running harness; the test fails when it did not start.
func Stack(t *testing.T) *State {
	t.Helper()
	if stack == nil {
		t.Fatalf("e2e harness unavailable: %v", stackErr)
	}
	return stack
}

// ServiceClient is a client-credentials client for the harness's service client.
func ServiceClient(t *testing.T) *flyteauth.Client {
	st := Stack(t)
	c, err := flyteauth.New(flyteauth.Settings{
		Endpoint: st.Endpoint, AuthType: flyteauth.AuthClientSecret, ClientID: st.ServiceClientID,
		ClientSecret: st.ServiceClientSecret, Scopes: []string{"all"}, Keyring: flyteauth.Bool(false),
		CacheDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("flyteauth.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TokenRequests is the number of token requests the Flyte front has seen.
func TokenRequests(t *testing.T) int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	resp, err := client.Get(Stack(t).CountsURL)
	if err != nil {
		t.Fatalf("front counts: %v", err)
	}
	defer resp.Body.Close()
	var counts struct {
		Total int `json:"token_total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil {
		t.Fatalf("front counts: %v", err)
	}
	return counts.Total
}
