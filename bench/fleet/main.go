// Command fleet is the scrape benchmark's fleet of Go targets: ONE process listening on many
// 127.0.0.1 ports, each answering the default pprof endpoints with this process's own real
// runtime/pprof profiles. A workload allocates along thousands of distinct call stacks in a
// drifting pattern, so its heap profile (300–550 KB decompressed) changes between scrapes; it
// also blocks, contends on mutexes and keeps goroutines parked, so the block, mutex and
// goroutine profiles are real too. The CPU profile is recorded once at start (2 s of the
// workload) and served at once: the bench measures the collector, not the targets.
//
// Profiles are regenerated every -refresh (default 2 s) and served from memory, since writing
// a 9,000-stack heap profile per request would cost more CPU than the collector under test.
// Every port serves the same process, so all targets see the same profile at the same moment.
//
// Usage: fleet -ports N [-stacks S]. Prints {"ports":[...]} on stdout, then serves until killed.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

// keep holds the last allocations (a slice stored in an array does not escape its header, so
// each step allocates exactly one object and each stack is one heap profile sample).
var keep [4096][]byte

//go:noinline
func f0(d, p int) { step(d, p, 0) }

//go:noinline
func f1(d, p int) { step(d, p, 1) }

//go:noinline
func f2(d, p int) { step(d, p, 2) }

//go:noinline
func f3(d, p int) { step(d, p, 3) }

//go:noinline
func f4(d, p int) { step(d, p, 4) }

//go:noinline
func f5(d, p int) { step(d, p, 5) }

//go:noinline
func f6(d, p int) { step(d, p, 6) }

//go:noinline
func f7(d, p int) { step(d, p, 7) }

var fns []func(int, int)

// step descends d more levels choosing the function from the path bits, so every path is a
// distinct call stack; at the bottom it allocates.
func step(d, p, self int) {
	if d == 0 {
		keep[(p*8+self)%len(keep)] = make([]byte, 512+(p*7+self)%1024)
		return
	}
	fns[p&7](d-1, p>>3)
}

// burn spends CPU along a few recursive stacks without allocating (the CPU profile's work).
//
//go:noinline
func burn(d, acc int) int {
	if d == 0 {
		for i := 0; i < 1000; i++ {
			acc = acc*31 + i
		}
		return acc
	}
	return burn(d-1, acc+1) + burn(d-1, acc+2)
}

const depth = 5 // 8^5 = 32,768 possible stacks

// visit allocates along path p (one call site, so a path is one stack).
//
//go:noinline
func visit(p int) { fns[p&7](depth, p>>3) }

// workload allocates along every one of `stacks` paths once, then along a drifting window of
// them, so the cumulative alloc counts of a changing subset grow between scrapes. One call site
// of visit, so a path is one stack whether it is the first sweep or the window.
func workload(stacks int) {
	r := rand.New(rand.NewSource(1))
	for i := 0; ; i++ {
		p := i
		if i >= stacks {
			tick := (i - stacks) / 300
			if (i-stacks)%300 == 0 {
				time.Sleep(100 * time.Millisecond)
			}
			p = (tick*97 + r.Intn(stacks/4)) % stacks
		}
		visit(p)
	}
}

// contention keeps real block and mutex profiles non-empty and changing.
func contention() {
	var mu sync.Mutex
	ch := make(chan int)
	for w := 0; w < 4; w++ {
		go func() {
			for {
				mu.Lock()
				time.Sleep(time.Millisecond)
				mu.Unlock()
				<-ch
			}
		}()
	}
	for {
		time.Sleep(5 * time.Millisecond)
		select {
		case ch <- 1:
		default:
		}
	}
}

// parked goroutines give the goroutine profile some real stacks.
func parked(n int) {
	block := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() { <-block }()
	}
}

type profiles struct {
	mu    sync.RWMutex
	bytes map[string][]byte
}

func (ps *profiles) set(path string, b []byte) {
	ps.mu.Lock()
	ps.bytes[path] = b
	ps.mu.Unlock()
}

func (ps *profiles) get(path string) []byte {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.bytes[path]
}

func lookup(name string) []byte {
	var b bytes.Buffer
	if err := pprof.Lookup(name).WriteTo(&b, 0); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func (ps *profiles) refresh() {
	runtime.GC() // the heap profile shows allocations as of the last completed GC
	heap := lookup("heap")
	ps.set("/debug/pprof/allocs", heap)
	ps.set("/debug/pprof/heap", heap)
	ps.set("/debug/pprof/goroutine", lookup("goroutine"))
	ps.set("/debug/pprof/block", lookup("block"))
	ps.set("/debug/pprof/mutex", lookup("mutex"))
}

func cpuProfile() []byte {
	var b bytes.Buffer
	if err := pprof.StartCPUProfile(&b); err != nil {
		panic(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		burn(depth, 0)
	}
	pprof.StopCPUProfile()
	return b.Bytes()
}

func main() {
	ports := flag.Int("ports", 100, "listeners to open on 127.0.0.1")
	stacks := flag.Int("stacks", 13000, "distinct allocating call stacks (heap profile size)")
	refresh := flag.Duration("refresh", 2*time.Second, "how often profiles are regenerated")
	flag.Parse()
	fns = []func(int, int){f0, f1, f2, f3, f4, f5, f6, f7}
	// Objects of 512 B and more are nearly always sampled; the runtime's own small ones rarely.
	runtime.MemProfileRate = 512
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)

	ps := &profiles{bytes: map[string][]byte{}}
	ps.set("/debug/pprof/profile", cpuProfile())
	go workload(*stacks)
	go contention()
	parked(50)
	time.Sleep(300 * time.Millisecond)
	ps.refresh()
	go func() {
		for range time.Tick(*refresh) {
			ps.refresh()
		}
	}()

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := ps.get(r.URL.Path)
		if b == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
	})
	out := struct {
		Ports []int `json:"ports"`
	}{}
	for i := 0; i < *ports; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet: listen:", err)
			os.Exit(1)
		}
		out.Ports = append(out.Ports, l.Addr().(*net.TCPAddr).Port)
		go http.Serve(l, handler)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
	select {}
}
