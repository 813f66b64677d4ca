package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"

	_ "github.com/grafana/pyroscope-go/godeltaprof/http/pprof"
)

// runDeltaprof serves /debug/pprof/* and godeltaprof's /debug/pprof/delta_{heap,mutex,block}
// on 127.0.0.1 while the workload runs.
func runDeltaprof(args []string) error {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	startWorkload()
	exitOnStdinClose()
	fmt.Printf("listening on %s\n", listener.Addr())
	return http.Serve(listener, nil)
}
