module github.com/flyteorg/libflyteauth/bindings/go

go 1.21
