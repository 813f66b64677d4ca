// Command gopeers holds profcol's Go interop peers, one subcommand each (see usage). Servers
// print "listening on 127.0.0.1:PORT" on stdout and exit when their stdin is closed, so a
// test can never leak them. Built by build.sh (which also generates ./gen from
// tests/support/proto).
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: gopeers <command> [flags]
  sdk             profile this process with pyroscope-go and upload to -url
  deltaprof       serve net/http/pprof and godeltaprof's /debug/pprof/delta_* with a workload
  connect-push    read a protojson PushRequest on stdin, push it with connect-go to -url
  connect-server  serve push.v1.PusherService/Push with connect-go; print each request
  pprof-summary   print a canonical JSON summary of each profile file ("-" for stdin)
  pprof-diff      print the summary of Merge(second, scale(first, -1))
  otlp-encode     pprof files -> one OTLP ExportProfilesServiceRequest (pdata) on stdout
  otlp-server     serve OTLP profiles with pdata; write one pprof per profile into -dir
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "sdk":
		err = runSDK(args)
	case "deltaprof":
		err = runDeltaprof(args)
	case "connect-push":
		err = runConnectPush(args)
	case "connect-server":
		err = runConnectServer(args)
	case "pprof-summary":
		err = runSummary(args)
	case "pprof-diff":
		err = runDiff(args)
	case "otlp-encode":
		err = runOtlpEncode(args)
	case "otlp-server":
		err = runOtlpServer(args)
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gopeers %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// exitOnStdinClose ends the process once the parent closes stdin.
func exitOnStdinClose() {
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
}
