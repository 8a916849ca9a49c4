module github.com/flyteorg/libflyteauth/bindings/go/flyteauthoauth2

go 1.21

// The oldest versions tested (Debian 12's golang-golang-x-oauth2-dev); go get picks
// newer ones as your module needs them.
require (
	github.com/flyteorg/libflyteauth/bindings/go v0.1.0
	golang.org/x/oauth2 v0.3.0
)

// Inside this repository the core module is the one next door.
replace github.com/flyteorg/libflyteauth/bindings/go => ../
