// go_pprof_target is a scrape target for profcol's interop tests: a plain net/http/pprof
// server that allocates and contends in the background so the memory, block and mutex
// profiles have data. It listens on 127.0.0.1 (port from argv[1], $PORT, or 0), prints
// "listening on 127.0.0.1:<port>" and exits when stdin closes.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

var sink [][]byte

func allocate() {
	for {
		buf := make([]byte, 64<<10)
		sink = append(sink, buf)
		if len(sink) > 64 {
			sink = sink[:0]
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contend() {
	var mu sync.Mutex
	for i := 0; i < 4; i++ {
		go func() {
			for {
				mu.Lock()
				time.Sleep(time.Millisecond)
				mu.Unlock()
			}
		}()
	}
	ch := make(chan int)
	go func() {
		for {
			time.Sleep(2 * time.Millisecond)
			ch <- 1
		}
	}()
	for range ch {
	}
}

func spin() {
	x := 0
	for {
		for i := 0; i < 1e6; i++ {
			x += i
		}
		time.Sleep(time.Millisecond)
	}
}

func main() {
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	port := os.Getenv("PORT")
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	if port == "" {
		port = "0"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go allocate()
	go contend()
	go spin()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Printf("listening on %s\n", ln.Addr())
	_ = http.Serve(ln, nil)
}
