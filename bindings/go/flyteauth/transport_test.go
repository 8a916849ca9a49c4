package flyteauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
)

// protected is a server that answers 401 to tokens it was told are stale (or to
// every token when always401) and records what it received.
type protected struct {
	mu        sync.Mutex
	stale     map[string]bool
	always401 bool
	seen      []seenRequest
}

type seenRequest struct {
	auth string
	body string
}

func (p *protected) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	auth := r.Header.Get("Authorization")
	p.mu.Lock()
	p.seen = append(p.seen, seenRequest{auth, string(body)})
	reject := p.always401 || auth == "" || p.stale[auth]
	p.mu.Unlock()
	if reject {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, strings.Repeat("unauthorized ", 100))
		return
	}
	io.WriteString(w, "ok:"+string(body))
}

func (p *protected) reject(headerValue string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stale == nil {
		p.stale = map[string]bool{}
	}
	p.stale[headerValue] = true
}

func (p *protected) requests() []seenRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]seenRequest(nil), p.seen...)
}

// commandClient gives a new token each time its command runs.
func commandClient(t *testing.T) (*flyteauth.Client, string) {
	cmd, counter := jwtCommand(t, 3600)
	return mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand, Command: []string{cmd}, AuthorizationHeader: "authorization"}), counter
}

func newServer(t *testing.T, p *protected) *httptest.Server {
	srv := httptest.NewServer(p) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

func currentHeader(t *testing.T, c *flyteauth.Client) string {
	md, err := c.Headers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return md.Authorization().Value
}

func TestTransportRefreshesOnceAndResends(t *testing.T) {
	c, counter := commandClient(t)
	p := &protected{}
	srv := newServer(t, p)
	stale := currentHeader(t, c)
	p.reject(stale)
	runs := countLines(counter)

	hc := c.HTTPClient(nil)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/projects", strings.NewReader("payload"))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok:payload" {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	seen := p.requests()
	if len(seen) != 2 {
		t.Fatalf("server saw %d requests, want 2 (the 401 and one resend)", len(seen))
	}
	if seen[0].auth != stale || seen[1].auth == stale || !strings.HasPrefix(seen[1].auth, "Bearer ") {
		t.Errorf("first request should carry the stale token and the resend a fresh one")
	}
	if seen[0].body != "payload" || seen[1].body != "payload" {
		t.Errorf("bodies %q, %q", seen[0].body, seen[1].body)
	}
	if got := countLines(counter) - runs; got != 1 {
		t.Errorf("refreshed %d times, want 1", got)
	}
	if req.Header.Get("Authorization") != "" {
		t.Error("the caller's request was modified")
	}
	// The next request uses the fresh token directly.
	resp, err = hc.Get(srv.URL + "/again")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(p.requests()) != 3 || countLines(counter)-runs != 1 {
		t.Errorf("follow-up request: status %d, %d requests, %d refreshes", resp.StatusCode, len(p.requests()), countLines(counter)-runs)
	}
}

func TestTransportGetWithoutBody(t *testing.T) {
	c, counter := commandClient(t)
	p := &protected{}
	srv := newServer(t, p)
	p.reject(currentHeader(t, c))
	runs := countLines(counter)
	resp, err := c.HTTPClient(nil).Get(srv.URL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(p.requests()) != 2 || countLines(counter)-runs != 1 {
		t.Fatalf("status %d, %d requests, %d refreshes", resp.StatusCode, len(p.requests()), countLines(counter)-runs)
	}
}

func TestTransportNoLoopOnPersistent401(t *testing.T) {
	c, counter := commandClient(t)
	p := &protected{always401: true}
	srv := newServer(t, p)
	currentHeader(t, c)
	runs := countLines(counter)
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/x", strings.NewReader("data"))
	resp, err := c.HTTPClient(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(string(body), "unauthorized") {
		t.Fatalf("status %d; the second 401 should be returned with its body", resp.StatusCode)
	}
	if n := len(p.requests()); n != 2 {
		t.Fatalf("server saw %d requests, want 2", n)
	}
	if got := countLines(counter) - runs; got != 1 {
		t.Errorf("refreshed %d times, want 1", got)
	}
}

// onceReader is a body http.NewRequest cannot replay (no GetBody).
type onceReader struct{ r io.Reader }

func (o *onceReader) Read(b []byte) (int, error) { return o.r.Read(b) }

func TestTransportNonReplayableBodyNotResent(t *testing.T) {
	c, counter := commandClient(t)
	p := &protected{}
	srv := newServer(t, p)
	stale := currentHeader(t, c)
	p.reject(stale)
	runs := countLines(counter)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/upload", &onceReader{strings.NewReader("stream")})
	if req.GetBody != nil {
		t.Fatal("test setup: body is replayable")
	}
	resp, err := c.HTTPClient(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(body) == 0 {
		t.Fatalf("status %d, body %d bytes: the 401 should be returned as is", resp.StatusCode, len(body))
	}
	if n := len(p.requests()); n != 1 {
		t.Fatalf("server saw %d requests: a non-replayable body was resent", n)
	}
	// The rejection still refreshed, so the caller's retry works.
	if got := countLines(counter) - runs; got != 1 {
		t.Errorf("refreshed %d times, want 1", got)
	}
	if currentHeader(t, c) == stale {
		t.Error("the client still holds the rejected token")
	}
}

// When the refresh fails (a host-supplied token cannot be refreshed), RoundTrip
// returns that error and does not resend.
func TestTransportRefreshFailure(t *testing.T) {
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthPassthrough, AuthorizationHeader: "authorization"})
	if err := c.SetToken("host-token", time.Time{}); err != nil {
		t.Fatal(err)
	}
	p := &protected{always401: true}
	srv := newServer(t, p)
	_, err := c.HTTPClient(nil).Get(srv.URL)
	if !errors.Is(err, flyteauth.ErrLoginRequired) {
		t.Fatalf("err %v, want ErrLoginRequired", err)
	}
	if strings.Contains(err.Error(), "host-token") {
		t.Error("the error shows the token")
	}
	if n := len(p.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
	// No token at all: the request is not sent, and its body is closed.
	c2 := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthPassthrough})
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, body)
	if _, err := flyteauth.NewTransport(c2, nil).RoundTrip(req); !errors.Is(err, flyteauth.ErrLoginRequired) {
		t.Fatalf("no token: %v", err)
	}
	if !body.closed {
		t.Error("RoundTrip did not close the request body on error")
	}
	if n := len(p.requests()); n != 1 {
		t.Errorf("a request without credentials was sent")
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// With a proxy command, the metadata has two headers, authorization first, and the
// Transport sends both.
func TestProxyAuthorizationHeader(t *testing.T) {
	cmd, _ := jwtCommand(t, 3600)
	proxy := script(t, "proxy.sh", "echo proxy-tok")
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthExternalCommand, Command: []string{cmd},
		ProxyCommand: []string{proxy}, AuthorizationHeader: "authorization"})
	md, err := c.Headers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Headers) != 2 || md.Headers[0].Key != "authorization" || md.Headers[1].Key != "proxy-authorization" ||
		!strings.HasSuffix(md.Headers[1].Value, "proxy-tok") {
		t.Fatalf("headers: %d, keys %q %q", len(md.Headers), md.Authorization().Key, md.Headers[len(md.Headers)-1].Key)
	}
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	resp, err := c.HTTPClient(nil).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Get("Authorization") != md.Headers[0].Value || got.Get("Proxy-Authorization") != md.Headers[1].Value {
		t.Error("the Transport did not send both headers")
	}
}
