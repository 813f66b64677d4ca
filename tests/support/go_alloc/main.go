// Command go_alloc is the Go peer of profcol's delta interop test: a net/http/pprof server on
// 127.0.0.1 (port chosen by the kernel, printed as "listening on <port>") that keeps
// allocating and contending a mutex, so consecutive allocs/mutex profiles differ. It exits
// when its stdin is closed, so a test can never leak it.
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

//go:noinline
func allocLoop() {
	for {
		for i := 0; i < 100; i++ {
			sink = append(sink, make([]byte, 256))
		}
		if len(sink) > 10000 {
			sink = nil
		}
		time.Sleep(time.Millisecond)
	}
}

//go:noinline
func contendLoop() {
	var mu sync.Mutex
	for g := 0; g < 2; g++ {
		go func() {
			for {
				mu.Lock()
				time.Sleep(50 * time.Microsecond)
				mu.Unlock()
				time.Sleep(time.Millisecond)
			}
		}()
	}
}

func main() {
	runtime.MemProfileRate = 512
	runtime.SetMutexProfileFraction(1)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go allocLoop()
	contendLoop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Printf("listening on %d\n", listener.Addr().(*net.TCPAddr).Port)
	_ = http.Serve(listener, nil)
}
