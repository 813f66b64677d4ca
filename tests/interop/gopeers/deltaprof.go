package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strings"
	"sync"

	_ "github.com/grafana/pyroscope-go/godeltaprof/http/pprof"
)

// served is printed on stdout for each /debug/pprof/delta_* response, so a test can check the
// scraper forwarded exactly what the target served (godeltaprof keeps state: a second fetch
// would return another delta, so the bytes cannot be fetched again).
type served struct {
	Path   string `json:"path"`
	Status int    `json:"status"`
	Body   string `json:"body"` // base64
}

type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *recordingWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

// runDeltaprof serves /debug/pprof/* and godeltaprof's /debug/pprof/delta_{heap,mutex,block}
// on 127.0.0.1 while the workload runs.
func runDeltaprof(args []string) error {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	startWorkload()
	exitOnStdinClose()
	var mu sync.Mutex
	out := json.NewEncoder(os.Stdout)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/debug/pprof/delta_") {
			http.DefaultServeMux.ServeHTTP(w, r)
			return
		}
		rec := &recordingWriter{ResponseWriter: w, status: 200}
		http.DefaultServeMux.ServeHTTP(rec, r)
		mu.Lock()
		defer mu.Unlock()
		_ = out.Encode(served{r.URL.Path, rec.status, base64.StdEncoding.EncodeToString(rec.body.Bytes())})
	})
	fmt.Printf("listening on %s\n", listener.Addr())
	return http.Serve(listener, handler)
}
