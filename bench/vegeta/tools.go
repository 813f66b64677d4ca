//go:build tools

// Package tools pins vegeta (github.com/tsenart/vegeta/v12, MIT), the open-loop load
// generator of the ingest latency benchmark: `go build -o <bin> github.com/tsenart/vegeta/v12`
// from this directory builds the version go.mod and go.sum pin.
package tools

import _ "github.com/tsenart/vegeta/v12"
