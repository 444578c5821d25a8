package logcapture

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
)

func TestRecorder(t *testing.T) {
	r := &Recorder{}
	log := slog.New(r)
	log.Info("retort: engine created")
	log.Info("SELECT 1")
	fmt.Fprint(r, "first ")
	log.Info("SELECT ?", "args", []any{int64(2)})
	fmt.Fprint(r, "line\nsecond\nrest")
	want := []string{"SELECT 1", "SELECT ? | [2]", "> first line", "> second"}
	if got := r.Entries(); !slices.Equal(got, want) {
		t.Errorf("Entries() = %q, want %q", got, want)
	}
	if got := r.Output(); !slices.Equal(got, []string{"first line", "second"}) {
		t.Errorf("Output() = %q", got)
	}
	if got := r.Take(); !slices.Equal(got, want) {
		t.Errorf("Take() = %q, want %q", got, want)
	}
	fmt.Fprint(r, "\n") // the kept partial line ends
	if got := r.Take(); !slices.Equal(got, []string{"> rest"}) {
		t.Errorf("Take() after the newline = %q, want [\"> rest\"]", got)
	}
	fmt.Fprint(r, "dangling")
	r.Reset()
	fmt.Fprint(r, "\n")
	if got := r.Entries(); !slices.Equal(got, []string{"> "}) {
		t.Errorf("Entries() after Reset = %q, want [\"> \"]", got)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	r := &Recorder{}
	log := slog.New(r)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				log.Info("SELECT 1")
				fmt.Fprintf(r, "%d\n", i)
			}
		})
	}
	wg.Wait()
	if got := len(r.Entries()); got != 800 {
		t.Errorf("%d entries, want 800", got)
	}
	if got := len(r.Output()); got != 400 {
		t.Errorf("%d printed lines, want 400", got)
	}
}

func TestAutocommitReads(t *testing.T) {
	in := []string{
		"INSERT a", "COMMIT",
		"BEGIN", "SELECT 1", "> out", "ROLLBACK",
		"BEGIN", "SELECT 2", "UPDATE x", "> done", "COMMIT",
		"BEGIN", "DELETE y", "ROLLBACK",
		"BEGIN", "SELECT 3",
	}
	want := []string{
		"INSERT a", "COMMIT",
		"SELECT 1", "> out",
		"SELECT 2", "BEGIN", "UPDATE x", "> done", "COMMIT",
		"BEGIN", "DELETE y", "ROLLBACK",
		"SELECT 3",
	}
	if got := AutocommitReads(in); !slices.Equal(got, want) {
		t.Errorf("AutocommitReads:\n got  %q\n want %q", got, want)
	}
}
