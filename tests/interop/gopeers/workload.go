package main

import (
	"runtime"
	"sync"
	"time"
)

var retained [][]byte

//go:noinline
func allocWork() {
	for {
		for i := 0; i < 100; i++ {
			retained = append(retained, make([]byte, 512))
		}
		if len(retained) > 20000 {
			retained = retained[:0:0]
		}
		time.Sleep(time.Millisecond)
	}
}

//go:noinline
func cpuWork() {
	x := 0
	for {
		for i := 0; i < 1_000_000; i++ {
			x += i * i
		}
		if x == 42 {
			println(x)
		}
		time.Sleep(time.Millisecond)
	}
}

//go:noinline
func contendWork() {
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

//go:noinline
func blockWork() {
	ch := make(chan int)
	go func() {
		for {
			time.Sleep(200 * time.Microsecond)
			ch <- 1
		}
	}()
	for range ch {
	}
}

// startWorkload turns mutex and block profiling on and starts every kind of work.
func startWorkload() {
	runtime.MemProfileRate = 512
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	go allocWork()
	go cpuWork()
	go blockWork()
	contendWork()
}
