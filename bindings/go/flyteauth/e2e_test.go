package flyteauth_test

// Tests against the e2e harness: a real glewlwyd behind a Flyte discovery front.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
)

func serviceSettings(t *testing.T, st *harnessState) flyteauth.Settings {
	return flyteauth.Settings{
		Endpoint:     st.Endpoint,
		Insecure:     true,
		AuthType:     flyteauth.AuthClientSecret,
		ClientID:     st.ServiceClientID,
		ClientSecret: st.ServiceClientSecret,
		Scopes:       []string{"all"},
		CacheDir:     t.TempDir(),
		Keyring:      flyteauth.Bool(false),
	}
}

func TestClientCredentialsThroughDiscovery(t *testing.T) {
	st := needStack(t)
	var logMu sync.Mutex
	var logs []string
	c := mustNew(t, serviceSettings(t, st), flyteauth.WithLogger(func(l flyteauth.LogLevel, m string) {
		logMu.Lock()
		logs = append(logs, m)
		logMu.Unlock()
	}, flyteauth.LogDebug))
	if c.RequireTransportSecurity() {
		t.Error("insecure endpoint: RequireTransportSecurity should be false")
	}
	before := tokenRequests(t)
	md, err := c.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, ok := md["flyte-authorization"]
	if !ok || !strings.HasPrefix(v, "Bearer ey") {
		t.Fatalf("header from the server's discovery: keys %v, value %s", keys(md), redact(v))
	}
	if got := tokenRequests(t) - before; got != 1 {
		t.Errorf("%d token requests, want 1", got)
	}
	tok, err := c.Token()
	if err != nil {
		t.Fatal(err)
	}
	if "Bearer "+tok.AccessToken != v {
		t.Error("Token and Metadata disagree")
	}
	if tok.Expiry.IsZero() || !tok.Expiry.After(time.Now()) || tok.Expiry.After(time.Now().Add(time.Minute)) {
		t.Errorf("expiry %v, want within the 4 s lifetime", tok.Expiry)
	}
	s, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasToken || s.AuthType != "ClientSecret" || s.ClientID != st.ServiceClientID || s.Expiry().IsZero() {
		t.Errorf("status: %s", s.Raw)
	}
	if strings.Contains(string(s.Raw), st.ServiceClientSecret) || strings.Contains(string(s.Raw), tok.AccessToken) {
		t.Error("status shows a secret")
	}
	logMu.Lock()
	defer logMu.Unlock()
	for _, l := range logs {
		if strings.Contains(l, st.ServiceClientSecret) || strings.Contains(l, tok.AccessToken) {
			t.Error("a log line shows a secret")
		}
	}
}

// 64 goroutines share one client across several 4 s token lifetimes with GCs
// mixed in: no errors, and token requests stay few (single flight, refresh ahead).
func TestConcurrentMetadataAcrossExpiries(t *testing.T) {
	st := needStack(t)
	c := mustNew(t, serviceSettings(t, st))
	if _, err := c.Metadata(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := tokenRequests(t)
	const goroutines = 64
	duration := 12 * time.Second
	until := time.Now().Add(duration)
	var calls, failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i := 0; i < goroutines; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for n := 0; time.Now().Before(until); n++ {
				md, err := c.Metadata(context.Background())
				calls.Add(1)
				if err == nil && !strings.HasPrefix(md["flyte-authorization"], "Bearer ") {
					err = fmt.Errorf("metadata without the header (keys %v)", keys(md))
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				if n%500 == 0 && i%8 == 0 {
					runtime.GC()
				}
				if n%64 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}(i)
	}
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for time.Now().Before(until) {
			runtime.GC()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	wg.Wait()
	<-gcDone
	requests := tokenRequests(t) - before
	t.Logf("%d goroutines, %v: %d calls, %d token requests, %d errors", goroutines, duration, calls.Load(), requests, failures.Load())
	if failures.Load() != 0 {
		t.Fatalf("%d errors, first: %v", failures.Load(), firstErr.Load())
	}
	if calls.Load() < 1000 {
		t.Errorf("only %d calls", calls.Load())
	}
	// 12 s of 4 s tokens refreshed at half-life: about 6; one per goroutine would be hundreds.
	if requests < 2 || requests > 10 {
		t.Errorf("%d token requests over %v", requests, duration)
	}
}

func TestIdPErrors(t *testing.T) {
	st := needStack(t)
	// Wrong secret: the IdP refuses; the message never shows the secret.
	s := serviceSettings(t, st)
	s.ClientSecret = "wrong-secret-value"
	c := mustNew(t, s)
	_, err := c.Metadata(context.Background())
	var fe *flyteauth.Error
	if !errors.As(err, &fe) || !(errors.Is(err, flyteauth.ErrOAuth) || errors.Is(err, flyteauth.ErrProtocol)) {
		t.Fatalf("wrong secret: %v", err)
	}
	if fe.HTTPStatus != 401 && fe.HTTPStatus != 403 {
		t.Errorf("HTTP status %d", fe.HTTPStatus)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Error("the error shows the secret")
	}

	// A scope the client may not have: the IdP's OAuth error reaches the caller.
	s = serviceSettings(t, st)
	s.Scopes = []string{"offline"}
	c = mustNew(t, s)
	_, err = c.Metadata(context.Background())
	if !errors.Is(err, flyteauth.ErrOAuth) || !errors.As(err, &fe) || !strings.Contains(fe.OAuthError, "scope") {
		t.Fatalf("invalid scope: %v", err)
	}
	if !strings.Contains(err.Error(), fe.OAuthError) {
		t.Errorf("Error() omits the OAuth error: %v", err)
	}
}

func TestAPIKey(t *testing.T) {
	st := needStack(t)
	// flyte-sdk's format: base64("endpoint:client_id:client_secret:org"). The harness
	// endpoint has a port (a colon), so the key names a placeholder host and the
	// endpoint setting overrides it.
	key := base64.StdEncoding.EncodeToString([]byte("flyte.invalid:" + st.ServiceClientID + ":" + st.ServiceClientSecret + ":None"))
	c, err := flyteauth.NewFromAPIKey(key, flyteauth.WithOverrides(map[string]any{
		"endpoint": st.Endpoint, "insecure": true, "scopes": []string{"all"},
		"cache_dir": t.TempDir(), "keyring": false,
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	md, err := c.Metadata(context.Background())
	if err != nil || !strings.HasPrefix(md["flyte-authorization"], "Bearer ey") {
		t.Fatalf("API key: %v", err)
	}
	if c.RequireTransportSecurity() {
		t.Error("insecure override ignored by RequireTransportSecurity")
	}
}

// Reading the user's Flyte configuration; what it resolved to comes back in Status.
func TestNewFromConfig(t *testing.T) {
	st := needStack(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(st.ServiceClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	endpoint := strings.TrimPrefix(st.Endpoint, "http://")
	yaml := fmt.Sprintf(`admin:
  endpoint: dns:///%s
  insecure: true
  authType: ClientSecret
  clientId: %s
  clientSecretLocation: %s
  scopes:
    - all
flyteauth:
  refresh_window_seconds: 30
`, endpoint, st.ServiceClientID, secretFile)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	overrides := map[string]any{"keyring": false, "cache_dir": filepath.Join(dir, "cache")}
	resolved, err := flyteauth.ResolveConfig(cfg, overrides)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(resolved), st.ServiceClientSecret) {
		t.Error("resolved configuration shows the secret")
	}
	if !strings.Contains(string(resolved), cfg) {
		t.Errorf("resolved configuration does not name the file it came from")
	}
	c, err := flyteauth.NewFromConfig(cfg, flyteauth.WithOverrides(overrides))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.RequireTransportSecurity() {
		t.Error("insecure: true in the file, yet RequireTransportSecurity is true")
	}
	if s, err := c.Status(); err != nil || !s.Settings.Insecure || !strings.HasPrefix(s.Settings.BaseURL, "http://") ||
		s.Settings.RefreshWindowSeconds != 30 {
		t.Errorf("effective settings from the file: %+v, %v", s, err)
	}
	md, err := c.Metadata(context.Background())
	if err != nil || !strings.HasPrefix(md["flyte-authorization"], "Bearer ey") {
		t.Fatalf("metadata from config: %v", err)
	}
	// A malformed file names file and line.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("admin:\n  endpoint: [unclosed\n"), 0o600)
	if _, err := flyteauth.NewFromConfig(bad); !errors.Is(err, flyteauth.ErrConfig) || !strings.Contains(err.Error(), bad) {
		t.Errorf("malformed config: %v", err)
	}
}

// harnessPython runs the harness CLI (the scripted person) from Tests/e2e.
func harnessPython(args ...string) error {
	cmd := exec.Command(python, args...)
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(), "PYTHONPATH="+e2eDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, lastLine(string(out)))
	}
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func interactiveSettings(t *testing.T, st *harnessState, authType flyteauth.AuthType) flyteauth.Settings {
	return flyteauth.Settings{
		Endpoint:     st.Endpoint,
		Insecure:     true,
		AuthType:     authType,
		RedirectURI:  fmt.Sprintf("http://localhost:%d/callback", redirectPort),
		CacheDir:     t.TempDir(),
		Keyring:      flyteauth.Bool(false),
		LoginTimeout: 30 * time.Second,
	}
}

// PKCE login through the browser callback, the scripted person approving.
// Never skipped: ErrUnsupported (discovery no longer advertising the endpoint) fails.
func TestPKCELogin(t *testing.T) {
	st := needStack(t)
	approved := make(chan error, 1)
	c := mustNew(t, interactiveSettings(t, st, flyteauth.AuthPKCE), flyteauth.WithBrowser(func(url string) bool {
		go func() {
			approved <- harnessPython("-m", "harness", "approve-pkce", "--url", url)
		}()
		return true
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := c.Login(ctx)
	if err != nil {
		t.Fatalf("PKCE login: %v", err)
	}
	if err := <-approved; err != nil {
		t.Fatalf("approval: %v", err)
	}
	md, err := c.Metadata(context.Background())
	if err != nil || !strings.HasPrefix(md["flyte-authorization"], "Bearer ") {
		t.Fatalf("metadata after PKCE: %v", err)
	}
	s, _ := c.Status()
	if s == nil || !s.HasRefreshToken {
		t.Errorf("no refresh token after PKCE login")
	}
}

// A PKCE login nobody approves ends when its context does.
// Never skipped: ErrUnsupported (discovery no longer advertising the endpoint) fails.
func TestPKCELoginContextCancellation(t *testing.T) {
	st := needStack(t)
	c := mustNew(t, interactiveSettings(t, st, flyteauth.AuthPKCE), flyteauth.WithBrowser(func(string) bool { return true }))
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Login(ctx)
	if !errors.Is(err, flyteauth.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("Login: %v after %v", err, time.Since(start))
	}
}

// Device login through the prompt callback, the scripted person approving.
// Never skipped: ErrUnsupported (discovery no longer advertising the endpoint) fails.
func TestDeviceFlowLogin(t *testing.T) {
	st := needStack(t)
	approved := make(chan error, 1)
	var prompts atomic.Int32
	c := mustNew(t, interactiveSettings(t, st, flyteauth.AuthDeviceFlow), flyteauth.WithDevicePrompt(func(p flyteauth.DevicePrompt) {
		prompts.Add(1)
		go func() {
			approved <- harnessPython("-m", "harness", "approve-device", "--code", p.UserCode, "--idp", p.VerificationURI)
		}()
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := c.Login(ctx)
	if err != nil {
		t.Fatalf("device login: %v", err)
	}
	if err := <-approved; err != nil {
		t.Fatalf("approval: %v", err)
	}
	if n := prompts.Load(); n != 1 {
		t.Errorf("device prompt called %d times", n)
	}
	if _, err := c.Metadata(context.Background()); err != nil {
		t.Fatalf("metadata after device login: %v", err)
	}
}

// Two clients sharing the opt-in file cache: the second uses the first one's token
// without a token request. Logout removes it from the cache.
func TestFileCacheShared(t *testing.T) {
	st := needStack(t)
	dir := t.TempDir()
	settings := serviceSettings(t, st)
	settings.FileCache = true
	settings.FileCachePath = filepath.Join(dir, "tokens.json")
	a := mustNew(t, settings)
	if _, err := a.Metadata(context.Background()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(settings.FileCachePath)
	if err != nil {
		t.Fatalf("file cache not written: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("file cache mode %v, want 0600", info.Mode().Perm())
	}
	before := tokenRequests(t)
	b := mustNew(t, settings)
	if _, err := b.Metadata(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := tokenRequests(t) - before; got != 0 {
		t.Errorf("second client made %d token requests, want 0 (cache)", got)
	}
	s, err := b.Status()
	if err != nil {
		t.Fatal(err)
	}
	if s.TokenSource != "cache" {
		t.Errorf("token source %q, want cache", s.TokenSource)
	}
	if err := b.Logout(); err != nil {
		t.Fatal(err)
	}
	if s, _ := b.Status(); s == nil || s.HasToken {
		t.Error("token kept after Logout")
	}
}

// The person refuses a PKCE login: the IdP's OAuth error reaches the caller.
func TestPKCELoginDenied(t *testing.T) {
	st := needStack(t)
	c := mustNew(t, interactiveSettings(t, st, flyteauth.AuthPKCE), flyteauth.WithBrowser(func(url string) bool {
		go harnessPython("-m", "harness", "approve-pkce", "--deny", "--url", url)
		return true
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := c.Login(ctx)
	var fe *flyteauth.Error
	if !errors.Is(err, flyteauth.ErrOAuth) || !errors.As(err, &fe) || fe.OAuthError != "access_denied" {
		t.Fatalf("denied login: %v", err)
	}
	if _, err := c.Token(); err == nil {
		t.Error("a token after a denied login")
	}
}
