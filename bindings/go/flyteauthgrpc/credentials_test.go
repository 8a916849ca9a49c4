package flyteauthgrpc_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauthgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// gate is a real grpc-go server (the standard health service) behind a unary
// interceptor that answers UNAUTHENTICATED without a flyte-authorization header, or
// with a token the test has revoked. It keeps no token, only counts and a revoked set.
type gate struct {
	mu       sync.Mutex
	revoked  map[string]bool
	attempts int
	accepted int
	seen     []string // header values, to compare (never printed)
}

func (g *gate) check(ctx context.Context, req interface{}, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (interface{}, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	values := md.Get("flyte-authorization")
	g.mu.Lock()
	g.attempts++
	ok := len(values) == 1 && strings.HasPrefix(values[0], "Bearer ") && !g.revoked[values[0]]
	if len(values) == 1 {
		g.seen = append(g.seen, values[0])
	}
	if ok {
		g.accepted++
	}
	g.mu.Unlock()
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "token rejected by the test server")
	}
	return handler(ctx, req)
}

func serve(t *testing.T, g *gate) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.UnaryInterceptor(g.check))
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func TestPerRPCCredentialsAndRetryOnUnauthenticated(t *testing.T) {
	c := serviceClient(t)
	g := &gate{revoked: map[string]bool{}}
	addr := serve(t, g)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The harness endpoint is plain http, so the client does not require TLS and an
	// insecure connection to the test server is allowed.
	conn, err := grpc.DialContext(ctx, addr, append(flyteauthgrpc.DialOptions(c), grpc.WithInsecure())...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hc := healthpb.NewHealthClient(conn)

	if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("first call: %v", err)
	}
	if g.attempts != 1 || g.accepted != 1 {
		t.Fatalf("first call: %d attempts, %d accepted; want 1, 1", g.attempts, g.accepted)
	}

	// The server revokes the token: the call is answered UNAUTHENTICATED, the
	// interceptor refreshes once (one token request at the IdP) and retries once.
	g.mu.Lock()
	first := g.seen[0]
	g.revoked[first] = true
	g.mu.Unlock()
	before := tokenRequests(t)
	if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("call after revocation: %v", err)
	}
	if g.attempts != 3 || g.accepted != 2 {
		t.Fatalf("after revocation: %d attempts, %d accepted; want 3, 2", g.attempts, g.accepted)
	}
	if n := tokenRequests(t) - before; n != 1 {
		t.Fatalf("%d token requests for one rejection, want 1", n)
	}
	if g.seen[2] == first {
		t.Fatal("the retry carried the rejected token")
	}
}

func TestAlwaysRejectedGivesUnauthenticatedAfterOneRetry(t *testing.T) {
	c := serviceClient(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	attempts := 0
	s := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req interface{}, _ *grpc.UnaryServerInfo, _ grpc.UnaryHandler) (interface{}, error) {
		mu.Lock()
		attempts++
		mu.Unlock()
		return nil, status.Error(codes.Unauthenticated, "never")
	}))
	healthpb.RegisterHealthServer(s, health.NewServer())
	go s.Serve(lis)
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, lis.Addr().String(), append(flyteauthgrpc.DialOptions(c), grpc.WithInsecure())...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	before := tokenRequests(t)
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("err = %v, want UNAUTHENTICATED", err)
	}
	if attempts != 2 {
		t.Fatalf("%d attempts, want 2 (one retry, no loop)", attempts)
	}
	// The first token and the one refresh after the rejection.
	if n := tokenRequests(t) - before; n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

func TestPerRPCCredentialsAlone(t *testing.T) {
	c := serviceClient(t)
	g := &gate{revoked: map[string]bool{}}
	addr := serve(t, g)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, addr, grpc.WithPerRPCCredentials(flyteauthgrpc.PerRPCCredentials(c)), grpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("call: %v", err)
	}
	md, err := c.Metadata(ctx)
	if err != nil || len(g.seen) != 1 || g.seen[0] != md["flyte-authorization"] {
		t.Fatalf("the server did not see the client's header (%v)", err)
	}
}

// The retry rule of flyteauth_client_refresh (flyteauth.h), the same table as the
// Python binding's test_retry_rule.
func TestRetryRule(t *testing.T) {
	for _, row := range []struct {
		code  codes.Code
		unary bool
		want  bool
	}{
		{codes.Unauthenticated, true, true},
		{codes.Unauthenticated, false, true},
		{codes.Unknown, true, true},
		{codes.Unknown, false, false},
		{codes.PermissionDenied, true, false},
		{codes.Unavailable, true, false},
		{codes.OK, true, false},
	} {
		if got := flyteauthgrpc.Retries(row.code, row.unary); got != row.want {
			t.Errorf("Retries(%v, unary=%v) = %v, want %v", row.code, row.unary, got, row.want)
		}
	}
}
