// Package flyteauthoauth2 adapts a flyteauth.Client to golang.org/x/oauth2: a
// TokenSource for the APIs that take one (oauth2.NewClient, the Google and cloud
// client libraries, grpc's credentials/oauth).
//
// The engine caches, refreshes ahead of expiry and shares the token with the other
// Flyte tools; the TokenSource only converts. Wrapping it in oauth2.ReuseTokenSource
// (oauth2.NewClient does) is harmless. oauth2's Transport sends "Authorization:
// Bearer": for Flyte's own HTTP APIs prefer flyteauth.NewTransport, which sends the
// header key the server announced and refreshes once on a 401.
package flyteauthoauth2

import (
	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
	"golang.org/x/oauth2"
)

// TokenSource returns c as an oauth2.TokenSource. Token is safe for concurrent use
// (as the client is); a login, when one is needed, runs as Client.Headers would.
func TokenSource(c *flyteauth.Client) oauth2.TokenSource { return tokenSource{c} }

type tokenSource struct{ c *flyteauth.Client }

func (s tokenSource) Token() (*oauth2.Token, error) {
	t, err := s.c.Token()
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.Type(), Expiry: t.Expiry}, nil
}

// Reject tells the client a server refused tok (HTTP 401, gRPC UNAUTHENTICATED), so
// the next Token is a fresh one: oauth2 itself has no way to say so and would serve
// the cached token until its expiry. Nothing is requested when the client already
// holds a different token.
func Reject(c *flyteauth.Client, tok *oauth2.Token) error {
	if tok == nil {
		return c.Refresh("")
	}
	return c.Refresh(tok.AccessToken)
}
