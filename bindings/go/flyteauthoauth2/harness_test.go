package flyteauthoauth2_test

// The e2e harness (Tests/e2e: glewlwyd behind the Flyte front, 127.0.0.1 only) for
// this package's tests, started by TestMain and stopped by its state file's pids.

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

type harnessState struct {
	Endpoint            string `json:"endpoint"`
	ServiceClientID     string `json:"service_client_id"`
	ServiceClientSecret string `json:"service_client_secret"`
	CountsURL           string `json:"counts_url"`
}

var (
	stack    *harnessState
	stackErr error
	workDir  string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	_, file, _, _ := runtime.Caller(0)
	e2e := filepath.Join(filepath.Dir(file), "..", "..", "..", "Tests", "e2e")
	var err error
	if workDir, err = os.MkdirTemp("", "flyteauthoauth2-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(workDir)
	os.Setenv("XDG_CACHE_HOME", filepath.Join(workDir, "cache"))
	os.Setenv("XDG_STATE_HOME", filepath.Join(workDir, "state"))
	state := filepath.Join(workDir, "harness.json")
	up := exec.Command("python3", "-m", "harness", "up", "--state", state, "--access-token-duration", "60", "--max-seconds", "600")
	up.Dir = e2e
	if out, err := up.CombinedOutput(); err != nil {
		stackErr = fmt.Errorf("harness up: %v\n%s", err, out)
	} else if raw, err := os.ReadFile(state); err != nil {
		stackErr = err
	} else {
		var st harnessState
		if stackErr = json.Unmarshal(raw, &st); stackErr == nil {
			stack = &st
		}
		defer func() {
			down := exec.Command("python3", "-m", "harness", "down", "--state", state)
			down.Dir = e2e
			if out, err := down.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "harness down: %v\n%s", err, out)
			}
		}()
	}
	return m.Run()
}

func needStack(t *testing.T) *harnessState {
	t.Helper()
	if stack == nil {
		t.Fatalf("e2e harness unavailable: %v", stackErr)
	}
	return stack
}

// serviceClient is a client-credentials client for the harness's service client.
func serviceClient(t *testing.T) *flyteauth.Client {
	st := needStack(t)
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

// tokenRequests is the number of token requests the Flyte front has seen.
func tokenRequests(t *testing.T) int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	resp, err := client.Get(needStack(t).CountsURL)
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
