package flyteauth_test

// Machine identity settings through the Go binding, against the harness's glewlwyd.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
)

func TestClientSecretPostAgainstGlewlwyd(t *testing.T) {
	st := needStack(t)
	s := serviceSettings(t, st)
	s.ClientAuthMethod = "client_secret_post"
	c := mustNew(t, s)
	tok, err := c.Token()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.AccessToken, "ey") {
		t.Errorf("token %s", redact(tok.AccessToken))
	}
}

func TestPrivateKeyJWTWithoutAKeyIsAConfigurationError(t *testing.T) {
	st := needStack(t)
	s := serviceSettings(t, st)
	s.ClientSecret = ""
	s.ClientAuthMethod = "private_key_jwt"
	_, err := flyteauth.New(s)
	var e *flyteauth.Error
	if !errors.As(err, &e) || e.Status != flyteauth.StatusConfig || !strings.Contains(e.Message, "private_key_file") {
		t.Fatalf("want a configuration error naming private_key_file, got %v", err)
	}
}

// A token command printing kubectl's ExecCredential: its expiry travels with the token,
// and the command does not run again while the token is fresh.
func TestExecCredentialCommandThroughGo(t *testing.T) {
	st := needStack(t)
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	script := filepath.Join(dir, "cred.sh")
	expiry := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	body := "#!/bin/sh\necho run >> " + runs + "\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-token\",\"expirationTimestamp\":\"" +
		expiry.Format(time.RFC3339) + "\"}}'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	c := mustNew(t, flyteauth.Settings{Endpoint: st.Endpoint, Insecure: true, AuthType: flyteauth.AuthExternalCommand,
		Command: []string{script}, CacheDir: dir, Keyring: flyteauth.Bool(false)})
	for i := 0; i < 3; i++ {
		tok, err := c.Token()
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != "exec-token" || !tok.Expiry.Equal(expiry) {
			t.Fatalf("token %s expiry %v, want exec-token %v", redact(tok.AccessToken), tok.Expiry, expiry)
		}
	}
	if _, err := c.Metadata(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(runs)
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Errorf("the command ran %d times, want 1", n)
	}
}

func TestCredentialSourceSettings(t *testing.T) {
	s := flyteauth.Settings{ClientAssertion: &flyteauth.CredentialSource{GitHubActions: true, GitHubActionsAudience: "api://x"},
		SubjectToken: &flyteauth.CredentialSource{File: "/var/run/secrets/tokens/flyte"}}
	m := s.Map()
	if gh, _ := m["client_assertion"].(map[string]any)["github_actions"].(map[string]any); gh["audience"] != "api://x" {
		t.Errorf("client_assertion %v", m["client_assertion"])
	}
	if m["subject_token"].(map[string]any)["file"] != "/var/run/secrets/tokens/flyte" {
		t.Errorf("subject_token %v", m["subject_token"])
	}
}
