package storage

// Added to a scratch copy of the zitadel/oidc example's storage by Tests/zitadel/build.sh:
// the example OP verifies only tokens it issued itself. This teaches it to accept, as a
// token-exchange subject or actor, a JWT from one external issuer (a Kubernetes API
// server, GitHub Actions) whose public key, issuer and audience the test configures:
// EXTERNAL_ISSUER_KEY (a PEM public key file), EXTERNAL_ISSUER, EXTERNAL_AUDIENCE.

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

func (s *Storage) VerifyExchangeSubjectToken(ctx context.Context, token string, tokenType oidc.TokenType) (string, string, map[string]any, error) {
	return verifyExternal(token)
}

func (s *Storage) VerifyExchangeActorToken(ctx context.Context, token string, tokenType oidc.TokenType) (string, string, map[string]any, error) {
	return verifyExternal(token)
}

func verifyExternal(token string) (string, string, map[string]any, error) {
	raw, err := os.ReadFile(os.Getenv("EXTERNAL_ISSUER_KEY"))
	if err != nil {
		return "", "", nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return "", "", nil, errors.New("EXTERNAL_ISSUER_KEY holds no PEM block")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return "", "", nil, err
	}
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		return "", "", nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return "", "", nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", "", nil, err
	}
	if claims["iss"] != os.Getenv("EXTERNAL_ISSUER") {
		return "", "", nil, errors.New("unknown issuer")
	}
	audienceOK := claims["aud"] == os.Getenv("EXTERNAL_AUDIENCE")
	if list, ok := claims["aud"].([]any); ok {
		for _, a := range list {
			audienceOK = audienceOK || a == os.Getenv("EXTERNAL_AUDIENCE")
		}
	}
	if !audienceOK {
		return "", "", nil, errors.New("wrong audience")
	}
	exp, _ := claims["exp"].(float64)
	if time.Now().Unix() >= int64(exp) {
		return "", "", nil, errors.New("expired")
	}
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return "", "", nil, errors.New("no subject")
	}
	jti, _ := claims["jti"].(string)
	return jti, sub, claims, nil
}
