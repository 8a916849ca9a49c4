// Package flyteauth is the Go binding of libflyteauth, the Flyte OAuth2
// authentication engine (flyteauth.h). It needs the C library at build time
// (pkg-config flyteauth) and at run time (libflyteauth.so.0).
//
// A Client gives the headers to attach to calls to Flyte:
//
//	c, err := flyteauth.New(flyteauth.Settings{
//		Endpoint:     "dns:///flyte.example.com",
//		AuthType:     flyteauth.AuthClientSecret,
//		ClientID:     "my-service",
//		ClientSecretEnvVar: "FLYTE_CLIENT_SECRET",
//	})
//	if err != nil { ... }
//	defer c.Close()
//
//	// gRPC: c implements credentials.PerRPCCredentials.
//	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(tlsCreds), grpc.WithPerRPCCredentials(c))
//
//	// HTTP: adds the headers, refreshes once and resends once on 401.
//	hc := c.HTTPClient(nil)
//
//	// oauth2-style token source.
//	tok, err := c.Token()
//
// On gRPC UNAUTHENTICATED, call c.Refresh with the authorization value that was
// sent; the next GetRequestMetadata returns the new token.
//
// Errors from the library are *Error values; errors.Is matches them against the
// sentinels ErrConfig, ErrNetwork, ErrLoginRequired, ... by status.
//
// Secrets: the library wipes the C copies it hands out after this package copies
// them; Go strings holding tokens cannot be wiped. Token's String method redacts.
package flyteauth
