// Command gen writes the real Go pprof fixtures used by profcol's pprof tests:
// heap, allocs (twice, with allocations in between, for delta tests), block, mutex,
// goroutine and a short cpu profile, all gzipped as net/http/pprof serves them.
//
// Regenerate from the repository root with:
//
//	cd pprof/testdata/gen && go run . ..
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

var sink [][]byte

//go:noinline
func allocSmall(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, make([]byte, 64))
	}
}

//go:noinline
func allocLarge(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, make([]byte, 64*1024))
	}
}

func contend() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				mu.Lock()
				time.Sleep(10 * time.Microsecond)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ch := make(chan int)
	go func() { time.Sleep(5 * time.Millisecond); ch <- 1 }()
	<-ch
}

func burn(d time.Duration) {
	end := time.Now().Add(d)
	x := 0
	for time.Now().Before(end) {
		for i := 0; i < 1000; i++ {
			x += i * i
		}
	}
	_ = x
}

func write(dir, name string) {
	f, err := os.Create(filepath.Join(dir, name+".pb.gz"))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		panic(err)
	}
}

func writeAs(dir, profile, file string) {
	f, err := os.Create(filepath.Join(dir, file))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := pprof.Lookup(profile).WriteTo(f, 0); err != nil {
		panic(err)
	}
}

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	runtime.MemProfileRate = 4096
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)

	allocSmall(2000)
	allocLarge(20)
	runtime.GC()
	writeAs(dir, "allocs", "allocs_1.pb.gz")
	allocSmall(3000)
	allocLarge(5)
	runtime.GC()
	writeAs(dir, "allocs", "allocs_2.pb.gz")

	contend()
	write(dir, "heap")
	write(dir, "allocs")
	write(dir, "block")
	write(dir, "mutex")
	write(dir, "goroutine")

	f, err := os.Create(filepath.Join(dir, "cpu.pb.gz"))
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	burn(300 * time.Millisecond)
	pprof.StopCPUProfile()
	f.Close()
	fmt.Println("wrote fixtures to", dir)
}
