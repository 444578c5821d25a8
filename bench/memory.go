package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MemoryPeak samples the live heap while an operation runs and reads the process's peak
// resident set size. It is for one goroutine (Start, then Stop) and lives for one
// measurement.
type MemoryPeak struct {
	stop     chan struct{}
	done     sync.WaitGroup
	peakHeap uint64
	rssReset bool
}

const heapMetric = "/memory/classes/heap/objects:bytes"

// StartMemoryPeak collects garbage, returns freed memory to the OS, resets the kernel's
// peak-RSS mark of the process (where /proc/self/clear_refs allows it) and starts
// sampling the heap every millisecond.
func StartMemoryPeak() *MemoryPeak {
	runtime.GC()
	debug.FreeOSMemory()
	m := &MemoryPeak{stop: make(chan struct{})}
	m.rssReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	m.peakHeap = heapBytes()
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		sample := []metrics.Sample{{Name: heapMetric}}
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > m.peakHeap {
					m.peakHeap = v
				}
			}
		}
	}()
	return m
}

// Stop ends sampling and returns the peak heap in bytes and the peak RSS in bytes (the
// RSS is 0 where the kernel does not report it).
func (m *MemoryPeak) Stop() (heap, rss uint64) {
	close(m.stop)
	m.done.Wait()
	if v := heapBytes(); v > m.peakHeap {
		m.peakHeap = v
	}
	return m.peakHeap, peakRSS()
}

func heapBytes() uint64 {
	sample := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// peakRSS reads VmHWM from /proc/self/status.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				kb, err := strconv.ParseUint(fields[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}
