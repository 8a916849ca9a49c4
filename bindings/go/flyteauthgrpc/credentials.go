// Package flyteauthgrpc plugs a flyteauth.Client into grpc-go: per-RPC credentials
// that attach the Flyte authorization metadata, and interceptors that, when a server
// rejects it (Retries: UNAUTHENTICATED, and UNKNOWN for unary calls), refresh once and
// retry the call once (grpc-go itself never retries on UNAUTHENTICATED).
//
//	conn, err := grpc.Dial(target, append(flyteauthgrpc.DialOptions(client),
//	    grpc.WithTransportCredentials(credentials.NewTLS(nil)))...)
package flyteauthgrpc

import (
	"context"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// PerRPCCredentials returns c as grpc-go credentials (grpc.WithPerRPCCredentials):
// every call carries the metadata the engine gives (the header key the Flyte
// endpoint announced, e.g. "flyte-authorization"). Transport security is required
// unless the client's settings make the endpoint plain http.
func PerRPCCredentials(c *flyteauth.Client) credentials.PerRPCCredentials { return c }

// DialOptions returns the credentials and both retrying interceptors.
func DialOptions(c *flyteauth.Client) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithPerRPCCredentials(PerRPCCredentials(c)),
		grpc.WithChainUnaryInterceptor(UnaryClientInterceptor(c)),
		grpc.WithChainStreamInterceptor(StreamClientInterceptor(c)),
	}
}

// sent is the authorization value the credentials are about to attach (the engine
// serves it from memory), so a rejection names the token it refused and concurrent
// rejections of one token cause one refresh.
func sent(ctx context.Context, c *flyteauth.Client) string {
	md, err := c.Headers(ctx)
	if err != nil || len(md.Headers) == 0 {
		return ""
	}
	return md.Authorization().Value
}

// Retries reports whether a call that failed with code is refreshed and sent again
// once: the rule of flyteauth_client_refresh in flyteauth.h, the same in every
// binding. UNAUTHENTICATED always; UNKNOWN for a unary call (one request, one
// response), which is how an ingress's HTML 401 page reaches a gRPC client.
func Retries(code codes.Code, unary bool) bool {
	return code == codes.Unauthenticated || (unary && code == codes.Unknown)
}

// UnaryClientInterceptor retries a unary call once after UNAUTHENTICATED or UNKNOWN
// (Retries), with the token refreshed. Use it with PerRPCCredentials (DialOptions
// does). When the refresh itself fails (e.g. a login is needed), the call's error is
// returned with the engine's reason added to its message.
func UnaryClientInterceptor(c *flyteauth.Client) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		value := sent(ctx, c)
		err := invoker(ctx, method, req, reply, cc, opts...)
		if !Retries(status.Code(err), true) {
			return err
		}
		if rerr := c.Refresh(value); rerr != nil {
			return status.Errorf(status.Code(err), "%s (and no new token: %v)", status.Convert(err).Message(), rerr)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// StreamClientInterceptor retries opening a stream once when that fails with
// UNAUTHENTICATED. A rejection that arrives later, on Recv, reaches the caller:
// the stream's messages may already be consumed, so only the caller can replay.
func StreamClientInterceptor(c *flyteauth.Client) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
		streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		value := sent(ctx, c)
		s, err := streamer(ctx, desc, cc, method, opts...)
		if !Retries(status.Code(err), false) {
			return s, err
		}
		if rerr := c.Refresh(value); rerr != nil {
			return nil, status.Errorf(codes.Unauthenticated, "%s (and no new token: %v)", status.Convert(err).Message(), rerr)
		}
		return streamer(ctx, desc, cc, method, opts...)
	}
}
