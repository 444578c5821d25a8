package migrate

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// Progress reports how far a long data step has got. The step sets the total (when
// known) and adds to the count as it goes; the runner shows a progress bar when its
// output is a terminal and logs a line at every tenth otherwise. A Progress belongs to
// one data step, lives as long as that step runs, and is safe for concurrent use (the
// step may fan out to goroutines).
type Progress struct {
	mu       sync.Mutex
	name     string
	total    int64
	done     int64
	lastTick int64
	bar      io.Writer // terminal to draw on, or nil
	log      *slog.Logger
}

// SetTotal sets the number of units the step will process.
func (p *Progress) SetTotal(n int64) {
	p.mu.Lock()
	p.total = n
	p.mu.Unlock()
}

// Add records n more units done.
func (p *Progress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.total <= 0 {
		return
	}
	if p.bar != nil {
		width := 30
		filled := int(min(p.done, p.total) * int64(width) / p.total)
		fmt.Fprintf(p.bar, "\r  %s [%s%s] %d/%d", p.name, strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.done, p.total)
		if p.done >= p.total {
			fmt.Fprintln(p.bar)
		}
		return
	}
	tick := min(p.done, p.total) * 10 / p.total
	if tick > p.lastTick && p.log != nil {
		p.lastTick = tick
		p.log.Info("migrate: progress", "step", p.name, "done", p.done, "total", p.total)
	}
}

// Done returns the units done so far.
func (p *Progress) Done() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}
