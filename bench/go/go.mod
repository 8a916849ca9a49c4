module github.com/flyteorg/libflyteauth/bench/go

go 1.21

require github.com/flyteorg/libflyteauth/bindings/go v0.0.0

replace github.com/flyteorg/libflyteauth/bindings/go => ../../bindings/go
