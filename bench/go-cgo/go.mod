module github.com/flyteorg/libflyteauth/bench/go-cgo

go 1.21
