package flyteauth_test

// The per-call copy in Go memory: kept until the library's reuse_until, dropped by
// every operation that may replace the token. Passthrough clients: no server.

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
)

func sameMap(a, b map[string]string) bool {
	return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer()
}

func TestMetadataIsServedFromGoMemoryUntilReplaced(t *testing.T) {
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthPassthrough})
	ctx := context.Background()
	if err := c.SetToken("first-token", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Metadata(ctx); err != nil { // from the library, and kept
		t.Fatal(err)
	}
	a, _ := c.Metadata(ctx)
	b, _ := c.Metadata(ctx)
	if !sameMap(a, b) {
		t.Error("a token an hour from expiry: the second call did not come from the Go copy")
	}
	h1, _ := c.Headers(ctx)
	h2, _ := c.Headers(ctx)
	if h1 != h2 || h1.Authorization().Value != "Bearer first-token" {
		t.Errorf("Headers not served from the Go copy: %p %p %+v", h1, h2, h1)
	}
	// SetToken replaces it at once.
	if err := c.SetToken("second-token", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if m, _ := c.Metadata(ctx); m["authorization"] != "Bearer second-token" {
		t.Fatalf("after SetToken: %v", m["authorization"])
	}
	// Refresh drops it: the host's token was rejected and cannot be refreshed.
	if err := c.Refresh("second-token"); !errors.Is(err, flyteauth.ErrLoginRequired) {
		t.Fatalf("Refresh of a passthrough token: %v", err)
	}
	if _, err := c.Metadata(ctx); !errors.Is(err, flyteauth.ErrLoginRequired) {
		t.Fatalf("the rejected token was handed out again from the Go copy: %v", err)
	}
	// Logout drops it too.
	if err := c.SetToken("third-token", time.Time{}); err != nil {
		t.Fatal(err)
	}
	c.Metadata(ctx)
	if err := c.Logout(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Metadata(ctx); !errors.Is(err, flyteauth.ErrLoginRequired) {
		t.Fatalf("after Logout: %v", err)
	}
}

func TestMetadataRespectsAnEndedContext(t *testing.T) {
	c := mustNew(t, flyteauth.Settings{AuthType: flyteauth.AuthPassthrough})
	if err := c.SetToken("token", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Metadata(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Metadata(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: %v", err)
	}
	if _, err := c.Headers(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: %v", err)
	}
}

func TestStatusSettings(t *testing.T) {
	c := mustNew(t, map[string]any{"endpoint": "http://127.0.0.1:1", "auth_type": "passthrough", "refresh_window_seconds": 45})
	s, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Settings.Insecure || s.Settings.BaseURL != "http://127.0.0.1:1" || s.Settings.RefreshWindowSeconds != 45 ||
		s.Settings.Cached {
		t.Errorf("effective settings %+v", s.Settings)
	}
}
