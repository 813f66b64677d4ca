// Command benchgen writes the real Go profiles the benchmarks use: two consecutive cumulative
// allocation profiles (allocs_1.pb.gz, allocs_2.pb.gz) from thousands of distinct call
// stacks, for the client-side delta benchmark, and a CPU profile (cpu.pb.gz, ~50 KiB at 1 kHz over 16 s) used as
// the body of the ingest benchmark. Run: go run . <output dir>
package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"
)

var keep [][]byte

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

// step descends `d` more levels choosing the function from the path bits, so every path is
// a distinct call stack; at the bottom it allocates and burns a little CPU.
func step(d, p, self int) {
	if d == 0 {
		buf := make([]byte, 64+p%512)
		for i := range buf {
			buf[i] = byte(i * self)
		}
		if len(keep) < 100000 {
			keep = append(keep, buf)
		}
		return
	}
	fns[p&7](d-1, p>>3)
}

func run(rounds int) {
	for r := 0; r < rounds; r++ {
		for p := 0; p < 8*8*8*8*8; p++ {
			fns[p&7](5, p>>3)
		}
	}
}

func write(dir, name string) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		panic(err)
	}
}

func main() {
	fns = []func(int, int){f0, f1, f2, f3, f4, f5, f6, f7}
	dir := os.Args[1]
	runtime.MemProfileRate = 512
	run(2)
	write(dir, "allocs_1.pb.gz")
	run(3)
	write(dir, "allocs_2.pb.gz")

	cpu, err := os.Create(filepath.Join(dir, "cpu.pb.gz"))
	if err != nil {
		panic(err)
	}
	// 1 kHz instead of 100 Hz: more stacks in a short run, for a body of about 50 KiB.
	runtime.SetCPUProfileRate(1000)
	if err := pprof.StartCPUProfile(cpu); err != nil {
		panic(err)
	}
	deadline := time.Now().Add(16 * time.Second)
	for time.Now().Before(deadline) {
		run(1)
		keep = keep[:0]
	}
	pprof.StopCPUProfile()
	cpu.Close()
}
