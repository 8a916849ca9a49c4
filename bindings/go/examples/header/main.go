// Command header prints the header libflyteauth would attach to a call to Flyte:
// its key and the first 10 characters of its value. The token is never printed.
//
//	go run ./examples/header -settings '{"endpoint":"dns:///flyte.example.com","auth_type":"clientsecret",...}'
//	go run ./examples/header -settings settings.json
//	go run ./examples/header -config ~/.flyte/config.yaml
//	go run ./examples/header            # the user's Flyte configuration
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/flyteorg/libflyteauth/bindings/go/flyteauth"
)

func main() {
	settings := flag.String("settings", "", "settings as a JSON object, or a file holding one")
	config := flag.String("config", "", "Flyte configuration file (default: flytekit's search order)")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long (logins included)")
	login := flag.Bool("login", false, "run the login flow first, even if a token is cached")
	flag.Parse()

	var (
		c   *flyteauth.Client
		err error
	)
	if *settings != "" {
		text := *settings
		if !strings.HasPrefix(strings.TrimSpace(text), "{") {
			b, rerr := os.ReadFile(text)
			if rerr != nil {
				fmt.Fprintln(os.Stderr, "header:", rerr)
				os.Exit(2)
			}
			text = string(b)
		}
		c, err = flyteauth.New(text)
	} else {
		c, err = flyteauth.NewFromConfig(*config)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "header:", err)
		os.Exit(1)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *login {
		if err := c.Login(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "header: login:", err)
			os.Exit(1)
		}
	}
	md, err := c.Headers(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "header:", err)
		os.Exit(1)
	}
	for _, h := range md.Headers {
		fmt.Printf("%s: %s\n", h.Key, redact(h.Value))
	}
	if !md.Expiry.IsZero() {
		fmt.Printf("expires: %s (in %s)\n", md.Expiry.UTC().Format(time.RFC3339), time.Until(md.Expiry).Round(time.Second))
	}
}

func redact(v string) string {
	if len(v) <= 10 {
		return "..."
	}
	return v[:10] + "..."
}
