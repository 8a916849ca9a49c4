// Command interop is the Go side of the interop matrix (Tests/e2e/test_interop_matrix.py):
//
//	interop login|header|logout SETTINGS_JSON
//
// It prints one JSON line; the token only as the first 12 hex digits of its SHA-256.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: interop login|header|logout SETTINGS_JSON")
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	fail := func(what string, err error) {
		_ = out.Encode(map[string]any{"ok": false, "what": what})
		fmt.Fprintln(os.Stderr, what+":", err)
		os.Exit(1)
	}
	c, err := flyteauth.New(os.Args[2])
	if err != nil {
		fail("new", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	switch os.Args[1] {
	case "logout":
		if err := c.Logout(); err != nil {
			fail("logout", err)
		}
		_ = out.Encode(map[string]any{"ok": true})
		return
	case "login":
		if err := c.Login(ctx); err != nil {
			fail("login", err)
		}
	}
	md, err := c.Headers(ctx)
	if err != nil {
		fail("headers", err)
	}
	sum := sha256.Sum256([]byte(strings.TrimPrefix(md.Headers[0].Value, "Bearer ")))
	_ = out.Encode(map[string]any{"ok": true, "sha": hex.EncodeToString(sum[:6])})
}
