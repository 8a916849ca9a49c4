package flyteauthoauth2_test

// The e2e harness for this package's tests (internal/e2e).

import (
	"os"
	"testing"

	"github.com/flyteorg/libflyteauth/bindings/go/internal/e2e"
)

func TestMain(m *testing.M) { os.Exit(e2e.Main(m, "flyteauthoauth2-")) }

var (
	serviceClient = e2e.ServiceClient
	tokenRequests = e2e.TokenRequests
)
