package flyteauthoauth2_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauthoauth2"
	"golang.org/x/oauth2"
)

func TestTokenSourceGivesTheClientsToken(t *testing.T) {
	c := serviceClient(t)
	ts := flyteauthoauth2.TokenSource(c)
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if !tok.Valid() || tok.Type() != "Bearer" || tok.Expiry.IsZero() || time.Until(tok.Expiry) <= 0 {
		t.Fatalf("token not valid, not Bearer, or without a future expiry (expiry %v)", tok.Expiry)
	}
	md, err := c.Metadata(context.Background())
	if err != nil || md["flyte-authorization"] != "Bearer "+tok.AccessToken {
		t.Fatalf("the TokenSource's token is not the client's (%v)", err)
	}
	// A second Token is served from the engine's cache: no token request.
	before := tokenRequests(t)
	if again, err := ts.Token(); err != nil || again.AccessToken != tok.AccessToken {
		t.Fatalf("second Token: %v", err)
	}
	if n := tokenRequests(t) - before; n != 0 {
		t.Fatalf("%d token requests for a cached token", n)
	}
}

// oauth2.NewClient (x/oauth2's Transport, ReuseTokenSource) against a server that
// rejects the first token: Reject makes the next Token a fresh one, with one request.
func TestOAuth2ClientAndReject(t *testing.T) {
	c := serviceClient(t)
	ts := flyteauthoauth2.TokenSource(c)
	var mu sync.Mutex
	revoked := map[string]bool{}
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header.Get("Authorization")
		mu.Lock()
		seen = append(seen, v)
		bad := v == "" || revoked[v]
		mu.Unlock()
		if bad {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	get := func(ts oauth2.TokenSource) int {
		t.Helper()
		hc := oauth2.NewClient(context.Background(), ts)
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(ts); code != http.StatusNoContent {
		t.Fatalf("first GET: %d", code)
	}
	first, _ := ts.Token()
	mu.Lock()
	revoked["Bearer "+first.AccessToken] = true
	mu.Unlock()
	if code := get(ts); code != http.StatusUnauthorized {
		t.Fatalf("GET with a revoked token: %d, want 401", code)
	}
	before := tokenRequests(t)
	if err := flyteauthoauth2.Reject(c, first); err != nil {
		t.Fatalf("Reject: %v", err)
	}
	if n := tokenRequests(t) - before; n != 1 {
		t.Fatalf("%d token requests for one rejection, want 1", n)
	}
	if code := get(ts); code != http.StatusNoContent {
		t.Fatalf("GET after Reject: %d", code)
	}
	// Rejecting the old token again asks nothing: the client holds a new one.
	before = tokenRequests(t)
	if err := flyteauthoauth2.Reject(c, first); err != nil || tokenRequests(t) != before {
		t.Fatalf("a second Reject of the same token requested a new one (%v)", err)
	}
	if len(seen) != 3 || seen[2] == seen[0] {
		t.Fatal("the server did not see a new token after Reject")
	}
}
