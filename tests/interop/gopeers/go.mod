module profcol/tests/interop/gopeers

go 1.26.0

require (
	connectrpc.com/connect v1.21.1
	github.com/google/pprof v0.0.0-20261105003125-4bf881d7fb0b
	github.com/grafana/pyroscope-go v1.5.0
	github.com/grafana/pyroscope-go/godeltaprof v0.1.12
	google.golang.org/protobuf v1.36.12
)

require github.com/klauspost/compress v1.20.2 // indirect

tool (
	connectrpc.com/connect/cmd/protoc-gen-connect-go
	google.golang.org/protobuf/cmd/protoc-gen-go
)
