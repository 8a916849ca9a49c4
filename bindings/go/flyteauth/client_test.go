package flyteauth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
)

// The method set of grpc-go's credentials.PerRPCCredentials, declared here so this
// module does not import grpc.
type perRPCCredentials interface {
	GetRequestMetadata(ctx context.Context, uri ...string) (map[string]string, error)
	RequireTransportSecurity() bool
}

// The shape of golang.org/x/oauth2's TokenSource (with this package's Token).
type tokenSource interface {
	Token() (*flyteauth.Token, error)
}

var (
	_ perRPCCredentials = (*flyteauth.Client)(nil)
	_ tokenSource       = (*flyteauth.Client)(nil)
)

func mustNew(t *testing.T, settings any, opts ...flyteauth.Option) *flyteauth.Client {
	t.Helper()
	c, err := flyteauth.New(settings, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestVersion(t *testing.T) {
	v := flyteauth.Version()
	if strings.Count(v, ".") != 2 {
		t.Fatalf("Version() = %q", v)
	}
	if got, want := flyteauth.VersionNumber()>>8, uint(flyteauth.HeaderVersionNumber)>>8; got != want {
		t.Fatalf("library %x and header %x differ in major.minor", flyteauth.VersionNumber(), flyteauth.HeaderVersionNumber)
	}
	if flyteauth.StatusNetwork.String() != "network error" {
		t.Fatalf("StatusNetwork.String() = %q", flyteauth.StatusNetwork.String())
	}
}

func TestPerRPCCredentials(t *testing.T) {
	var creds perRPCCredentials = mustNew(t, map[string]any{"auth_type": "passthrough", "authorization_header": "authorization"})
	if !creds.RequireTransportSecurity() {
		t.Error("a client without an insecure endpoint must require transport security")
	}
	c := creds.(*flyteauth.Client)
	if err := c.SetToken("Bearer abc.def", time.Time{}); err != nil {
		t.Fatal(err)
	}
	md, err := creds.GetRequestMetadata(context.Background(), "https://flyte.example.com/flyteidl.service.AdminService")
	if err != nil {
		t.Fatal(err)
	}
	if len(md) != 1 || md["authorization"] != "Bearer abc.def" {
		t.Fatalf("metadata keys %v", keys(md))
	}
	for k := range md {
		if k != strings.ToLower(k) {
			t.Errorf("gRPC metadata keys must be lower-case: %q", k)
		}
	}

	insecure := mustNew(t, flyteauth.Settings{Endpoint: "127.0.0.1:1", Insecure: true, AuthType: flyteauth.AuthPassthrough})
	if insecure.RequireTransportSecurity() {
		t.Error("insecure: true must not require transport security")
	}
	httpEndpoint := mustNew(t, map[string]any{"endpoint": "http://127.0.0.1:1", "auth_type": "passthrough"})
	if httpEndpoint.RequireTransportSecurity() {
		t.Error("an http:// endpoint must not require transport security")
	}
	forced := mustNew(t, `{"auth_type":"passthrough"}`, flyteauth.WithTransportSecurity(false))
	if forced.RequireTransportSecurity() {
		t.Error("WithTransportSecurity(false) ignored")
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPassthrough(t *testing.T) {
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthPassthrough, AuthorizationHeader: "Flyte-Authorization"})
	_, err := c.Metadata(context.Background())
	if !errors.Is(err, flyteauth.ErrLoginRequired) {
		t.Fatalf("no token yet: %v, want ErrLoginRequired", err)
	}
	if err := c.SetToken("line\nbreak", time.Time{}); !errors.Is(err, flyteauth.ErrInvalidArgument) {
		t.Fatalf("token with a newline: %v", err)
	}
	if err := c.SetToken("abc\x00def", time.Time{}); !errors.Is(err, flyteauth.ErrInvalidArgument) {
		t.Fatalf("token with a NUL byte: %v", err)
	}
	if err := c.SetToken("Bearer abc.def", time.Time{}); err != nil {
		t.Fatal(err)
	}
	md, err := c.Headers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Headers) != 1 || md.Headers[0].Key != "flyte-authorization" || md.Headers[0].Value != "Bearer abc.def" {
		t.Fatalf("headers: %d, key %q", len(md.Headers), md.Authorization().Key)
	}
	if !md.Expiry.IsZero() {
		t.Errorf("expiry %v, want zero (unknown)", md.Expiry)
	}
	tok, err := c.Token()
	if err != nil || tok.AccessToken != "abc.def" || !tok.Expiry.IsZero() || tok.Type() != "Bearer" || !tok.Valid() {
		t.Fatalf("Token: %v, %v", tok, err)
	}
	if strings.Contains(tok.String(), "abc") || strings.Contains(strings.ToLower(tok.GoString()), "abc") {
		t.Error("Token's String shows the token")
	}
	// The library cannot refresh a host token.
	if err := c.Refresh("abc.def"); !errors.Is(err, flyteauth.ErrLoginRequired) {
		t.Fatalf("Refresh passthrough: %v", err)
	}
	// A known expiry in the past: login required again.
	if err := c.SetToken("old", time.Now().Add(-10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Metadata(context.Background()); !errors.Is(err, flyteauth.ErrLoginRequired) {
		t.Fatalf("expired host token: %v", err)
	}
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.AuthType != "Passthrough" || strings.Contains(string(st.Raw), "old") {
		t.Errorf("status: auth type %q", st.AuthType)
	}
	if err := c.Logout(); err != nil {
		t.Fatal(err)
	}
	if err := c.Cancel(); err != nil {
		t.Fatal(err)
	}
}

func TestExternalCommand(t *testing.T) {
	ok := script(t, "ok.sh", "echo '  tok-123  '")
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand, Command: []string{ok}, AuthorizationHeader: "authorization"})
	md, err := c.Metadata(context.Background())
	if err != nil || md["authorization"] != "Bearer tok-123" {
		t.Fatalf("trimmed stdout is the token: %v", err)
	}
	// encoding/json escapes <, > and & as \u003c...: the library decodes them.
	amp := mustNew(t, map[string]any{"auth_type": "externalcommand", "command": []string{"/bin/echo", "a<b>&c"}, "authorization_header": "authorization"})
	if md, err := amp.Metadata(context.Background()); err != nil || md["authorization"] != "Bearer a<b>&c" {
		t.Fatalf("escaped JSON strings: %v", err)
	}

	bad := script(t, "bad.sh", "echo partial-token; echo 'no credentials for you' >&2; exit 3")
	c2 := mustNew(t, map[string]any{"auth_type": "externalcommand", "command": []string{bad, "--flag"}, "authorization_header": "authorization"})
	_, err = c2.Metadata(context.Background())
	var fe *flyteauth.Error
	if !errors.Is(err, flyteauth.ErrCommand) || !errors.As(err, &fe) {
		t.Fatalf("failing command: %v", err)
	}
	if fe.Status != flyteauth.StatusCommand || !strings.Contains(fe.Message, "no credentials for you") ||
		!strings.Contains(fe.Message, "status 3") || strings.Contains(fe.Message, "partial-token") {
		t.Errorf("message should name status and stderr, not stdout: %q", fe.Message)
	}
	if fe.Op != "flyteauth_client_metadata" {
		t.Errorf("Op %q", fe.Op)
	}

	// Rejected: the command runs again; a stale rejection runs nothing.
	cmd, counter := jwtCommand(t, 3600)
	c3 := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand, Command: []string{cmd}, AuthorizationHeader: "authorization"})
	t1, err := c3.Token()
	if err != nil {
		t.Fatal(err)
	}
	if time.Until(t1.Expiry) < 50*time.Minute {
		t.Errorf("expiry from the JWT exp claim: %v", t1.Expiry)
	}
	fresh, err := c3.RefreshHeaders(t1.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := c3.Token()
	if err != nil || t2.AccessToken == t1.AccessToken || fresh.Authorization().Value != "Bearer "+t2.AccessToken {
		t.Fatalf("new token after rejection: %v", err)
	}
	runs := countLines(counter)
	if err := c3.Refresh(t1.AccessToken); err != nil {
		t.Fatal(err)
	}
	if countLines(counter) != runs {
		t.Errorf("a stale rejection ran the command")
	}
	if err := c3.Refresh("Bearer " + t2.AccessToken); err != nil {
		t.Fatal(err)
	}
	if countLines(counter) != runs+1 {
		t.Errorf("rejecting 'Bearer <current>' ran the command %d times, want 1", countLines(counter)-runs)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		settings any
		mention  string
	}{
		{map[string]any{"bogus": true}, "bogus"},
		{map[string]any{"endpoint": 5}, "endpoint"},
		{`{"clientId": "x"}`, "client_id"},
		{`{"auth_type": "magic"}`, "magic"},
		{[]byte(`{"scopes": "all"}`), "scopes"},
		{flyteauth.Settings{HTTPTimeout: -time.Second}, "http_timeout_seconds"},
		{flyteauth.Settings{Extra: map[string]any{"not_a_key": 1}}, "not_a_key"},
		{`{`, "JSON"},
		{`[]`, "object"},
		{flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand}, "command"},
	}
	for _, tc := range cases {
		c, err := flyteauth.New(tc.settings)
		if c != nil {
			c.Close()
		}
		if !errors.Is(err, flyteauth.ErrConfig) {
			t.Errorf("%v: %v, want ErrConfig", tc.settings, err)
			continue
		}
		if errors.Is(err, flyteauth.ErrNetwork) || errors.Is(err, flyteauth.ErrInternal) {
			t.Errorf("%v matches other sentinels", err)
		}
		var fe *flyteauth.Error
		if !errors.As(err, &fe) || fe.Status != flyteauth.StatusConfig {
			t.Errorf("%v: errors.As *Error failed", err)
			continue
		}
		if !strings.Contains(fe.Message, tc.mention) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%v: message %q does not name %q", tc.settings, fe.Message, tc.mention)
		}
	}
	// A secret in a malformed API key is not echoed.
	_, err := flyteauth.NewFromAPIKey("not base64!! sekrit")
	if !errors.Is(err, flyteauth.ErrConfig) || !strings.Contains(err.Error(), "API key") || strings.Contains(err.Error(), "sekrit") {
		t.Errorf("bad API key: %v", err)
	}
	// Unknown statuses are internal errors.
	if !errors.Is(&flyteauth.Error{Status: 99}, flyteauth.ErrInternal) {
		t.Error("unknown status does not match ErrInternal")
	}
}

func TestIdPDown(t *testing.T) {
	port := freePort() // nothing listens there any more
	c := mustNew(t, flyteauth.Settings{
		Endpoint: "http://127.0.0.1:" + itoa(port), AuthType: flyteauth.AuthClientSecret, ClientID: "x", ClientSecret: "y",
		Scopes: []string{"all"}, CacheDir: t.TempDir(), ConnectTimeout: 2 * time.Second, Keyring: flyteauth.Bool(false),
	})
	start := time.Now()
	_, err := c.Metadata(context.Background())
	if !errors.Is(err, flyteauth.ErrNetwork) {
		t.Fatalf("IdP down: %v, want ErrNetwork", err)
	}
	var fe *flyteauth.Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "127.0.0.1:"+itoa(port)) {
		t.Errorf("message should name the address: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// A login blocked in the library returns promptly when its context ends, with an
// error that is both ErrCancelled and the context's error; later calls work.
func TestLoginContextCancellation(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "hang")
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := script(t, "slow.sh", "if [ -e "+gate+" ]; then sleep 30; fi; echo tok-after")
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand, Command: []string{cmd}, AuthorizationHeader: "authorization"})

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Login(ctx)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Login returned after %v", took)
	}
	if !errors.Is(err, flyteauth.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Login: %v, want ErrCancelled and DeadlineExceeded", err)
	}

	// Explicit cancel from another goroutine.
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel2() }()
	start = time.Now()
	err = c.Login(ctx2)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, flyteauth.ErrCancelled) || time.Since(start) > 3*time.Second {
		t.Fatalf("Login after cancel: %v after %v", err, time.Since(start))
	}

	// An already-ended context does not start anything.
	if err := c.Login(ctx2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Login with a done context: %v", err)
	}

	// Later calls work normally.
	os.Remove(gate)
	if err := c.Login(context.Background()); err != nil {
		t.Fatalf("Login after cancellations: %v", err)
	}
	md, err := c.Metadata(context.Background())
	if err != nil || md["authorization"] != "Bearer tok-after" {
		t.Fatalf("metadata after login: %v", err)
	}
}

// Metadata honours its context: it returns at the deadline while the library call
// finishes on its own (bounded by the library's timeouts, or Cancel).
func TestMetadataContextDeadline(t *testing.T) {
	cmd := script(t, "slow.sh", "sleep 30; echo never")
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand, Command: []string{cmd}, AuthorizationHeader: "authorization"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Metadata(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("Metadata with a deadline: %v after %v", err, time.Since(start))
	}
	if err := c.Cancel(); err != nil { // stop the command the library still runs
		t.Fatal(err)
	}
}

// A Login started after flyteauth_client_cancel() runs its own flight instead of
// returning the cancelled one's error ("later calls work normally").
func TestLoginAfterCancelRunsItsOwnFlight(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "hang")
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := script(t, "slow.sh", "if [ -e "+gate+" ]; then sleep 30; fi; echo tok")
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand, Command: []string{cmd}, AuthorizationHeader: "authorization"})
	bg := make(chan error, 1)
	go func() { _, err := c.Metadata(context.Background()); bg <- err }()
	time.Sleep(300 * time.Millisecond)
	if err := c.Cancel(); err != nil {
		t.Fatal(err)
	}
	os.Remove(gate)
	if err := c.Login(context.Background()); err != nil {
		t.Errorf("Login started after Cancel: %v", err)
	}
	<-bg
}

// Close cancels a login that waits, and later calls fail with ErrClosed.
func TestCloseDuringLogin(t *testing.T) {
	cmd := script(t, "slow.sh", "sleep 30; echo never")
	c, err := flyteauth.New(flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand, Command: []string{cmd}, AuthorizationHeader: "authorization"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Login(context.Background()) }()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	c.Close()
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Close took %v", took)
	}
	select {
	case err := <-done:
		if !errors.Is(err, flyteauth.ErrCancelled) && !errors.Is(err, flyteauth.ErrClosed) {
			t.Fatalf("Login during Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Login did not return after Close")
	}
	c.Close() // idempotent
	if _, err := c.Metadata(context.Background()); !errors.Is(err, flyteauth.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := c.Token(); !errors.Is(err, flyteauth.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if err := c.SetLogFunc(func(flyteauth.LogLevel, string) {}, flyteauth.LogDebug); !errors.Is(err, flyteauth.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// Clients dropped without Close are released by the finalizer.
func TestFinalizer(t *testing.T) {
	before := flyteauth.LiveClients()
	for i := 0; i < 50; i++ {
		c, err := flyteauth.New(`{"auth_type":"passthrough"}`,
			flyteauth.WithLogger(func(flyteauth.LogLevel, string) {}, flyteauth.LogDebug))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetToken("abc", time.Time{})
	}
	deadline := time.Now().Add(10 * time.Second)
	for flyteauth.LiveClients() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	if n := flyteauth.LiveClients(); n > before {
		t.Fatalf("%d clients not finalized", n-before)
	}
}

func TestCallbacks(t *testing.T) {
	c := mustNew(t, `{"auth_type":"passthrough"}`,
		flyteauth.WithBrowser(func(string) bool { return true }),
		flyteauth.WithDevicePrompt(func(flyteauth.DevicePrompt) {}),
		flyteauth.WithLogger(func(flyteauth.LogLevel, string) {}, flyteauth.LogInfo))
	if err := c.SetBrowserFunc(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDevicePromptFunc(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLogFunc(nil, flyteauth.LogWarning); err != nil {
		t.Fatal(err)
	}
	err := c.SetLogFunc(func(flyteauth.LogLevel, string) {}, flyteauth.LogLevel(42))
	if !errors.Is(err, flyteauth.ErrInvalidArgument) || !strings.Contains(err.Error(), "42") {
		t.Fatalf("bad log level: %v", err)
	}
}

// The log callback runs for real, from the library's background thread: the
// background refresh of a token close to expiry fails and the library warns. No
// line carries the token. The callback panics each time: the binding recovers.
func TestLogCallback(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first")
	cmd := script(t, "tok.sh", `if [ -e `+first+` ]; then echo 'no more tokens' >&2; exit 1; fi
touch `+first+`
exp=$(( $(date +%s) + 8 ))
payload=$(printf '{"exp":%s}' "$exp" | base64 -w0 | tr '+/' '-_' | tr -d '=')
echo "eyJhbGciOiJub25lIn0.$payload.sig"`)
	lines := make(chan string, 100)
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand, Command: []string{cmd}, AuthorizationHeader: "authorization"},
		flyteauth.WithLogger(func(level flyteauth.LogLevel, msg string) {
			select {
			case lines <- level.String() + ": " + msg:
			default:
			}
			// A panicking callback must not unwind through the library's C frames.
			panic("test: log callback panics after recording the line")
		}, flyteauth.LogDebug))
	tok, err := c.Token()
	if err != nil {
		t.Fatal(err)
	}
	// Past the refresh point (half the 7-8 s lifetime: exp is whole seconds), well
	// before the hard deadline (a tenth of the lifetime before exp).
	time.Sleep(4500 * time.Millisecond)
	if _, err := c.Metadata(context.Background()); err != nil {
		t.Fatalf("a still-valid token is returned while refreshing: %v", err)
	}
	var got []string
	timeout := time.After(5 * time.Second)
wait:
	for {
		select {
		case l := <-lines:
			got = append(got, l)
			if strings.Contains(l, "no more tokens") {
				break wait
			}
		case <-timeout:
			break wait
		}
	}
	found := false
	for _, l := range got {
		if strings.Contains(l, tok.AccessToken) {
			t.Errorf("a log line shows the token")
		}
		if strings.HasPrefix(l, "warning: ") && strings.Contains(l, "background refresh failed") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning about the failed background refresh in %d lines", len(got))
	}
}
