package flyteauth_test

// Per-call cost of Metadata and Headers on a warm cache: what a gRPC interceptor pays
// on every call. A benchmark, never a timed test; bench/run.sh reports it as the Go
// per-call row. Run: FLYTEAUTH_GO_NO_E2E=1 go test -run '^$' -bench PerCall ./flyteauth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
)

func warmClient(b *testing.B) *flyteauth.Client {
	b.Helper()
	c, err := flyteauth.New(flyteauth.Settings{AuthType: flyteauth.AuthPassthrough})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	// A token an hour from expiry: far from the refresh point, as between refreshes.
	if err := c.SetToken(strings.Repeat("t", 900), time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Headers(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkPerCallMetadata(b *testing.B) {
	c := warmClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Metadata(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPerCallHeaders(b *testing.B) {
	c := warmClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Headers(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// A cancellable context, as grpc-go passes to GetRequestMetadata.
func BenchmarkPerCallGetRequestMetadata(b *testing.B) {
	c := warmClient(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.GetRequestMetadata(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// In parallel from every P: the cache is read without a lock.
func BenchmarkPerCallMetadataParallel(b *testing.B) {
	c := warmClient(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := c.Metadata(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
