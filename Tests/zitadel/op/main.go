// The RFC 8693 token-exchange server of the tests: zitadel/oidc's example OpenID
// Provider (Debian's golang-github-zitadel-oidc-dev) with its storage taught to verify an
// external issuer's tokens (storage-extra), one confidential exchange client, on loopback.
//
//	PORT                    the port on 127.0.0.1 (the issuer is http://127.0.0.1:PORT/)
//	EXCHANGE_CLIENT_ID      the token-exchange client (client_secret_basic)
//	EXCHANGE_CLIENT_SECRET  its secret
//	EXTERNAL_ISSUER_KEY, EXTERNAL_ISSUER, EXTERNAL_AUDIENCE: see storage-extra
package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/zitadel/oidc/v3/example/server/exampleop"

	"flyteauth-test/zitadelop/storage"
)

func main() {
	port := os.Getenv("PORT")
	issuer := fmt.Sprintf("http://127.0.0.1:%s/", port)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	storage.RegisterClients(storage.WebClient(os.Getenv("EXCHANGE_CLIENT_ID"), os.Getenv("EXCHANGE_CLIENT_SECRET"),
		"http://127.0.0.1/callback"))
	store := storage.NewStorage(storage.NewUserStore(issuer))
	router := exampleop.SetupServer(issuer, store, logger, false)
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		logger.Error("cannot listen", "error", err)
		os.Exit(1)
	}
	logger.Info("listening", "issuer", issuer)
	if err := http.Serve(listener, router); err != nil {
		logger.Error("server stopped", "error", err)
		os.Exit(1)
	}
}
