module github.com/flyteorg/libflyteauth/bindings/go/flyteauthgrpc

go 1.21

// The oldest versions tested (Debian 12's golang-google-grpc-dev); go get picks newer
// ones as your module needs them.
require (
	github.com/flyteorg/libflyteauth/bindings/go v0.1.0
	google.golang.org/grpc v1.33.3
)

// Inside this repository the core module is the one next door.
replace github.com/flyteorg/libflyteauth/bindings/go => ../
