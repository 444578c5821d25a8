package logcapture

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// Recorder records echoed statements and printed lines, in the order they arrive. Give
// it to an engine with engine.WithLogger(slog.New(r)) and to a program as its output.
// It is safe for concurrent use; it keeps what it records until Take or Reset, and lives
// as long as the test holding it (its zero value is ready to use).
type Recorder struct {
	mu      sync.Mutex
	entries []string
	partial []byte // output not yet ended by a newline
}

// Enabled records every level.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// WithAttrs returns r: the engine's echo adds no attributes worth keeping.
func (r *Recorder) WithAttrs([]slog.Attr) slog.Handler { return r }

// WithGroup returns r.
func (r *Recorder) WithGroup(string) slog.Handler { return r }

// Handle records one echoed statement, with " | " and its "args" attribute when it has
// one. Messages starting with "retort:" (such as "retort: engine created") are not
// statements and are left out.
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	msg := rec.Message
	if strings.HasPrefix(msg, "retort:") {
		return nil
	}
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "args" {
			msg += " | " + a.Value.Resolve().String()
		}
		return true
	})
	r.mu.Lock()
	r.entries = append(r.entries, msg)
	r.mu.Unlock()
	return nil
}

// Write records printed output, one entry "> line" per complete line; a line not yet
// ended by a newline waits for the rest.
func (r *Recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.partial = append(r.partial, p...)
	for {
		i := bytes.IndexByte(r.partial, '\n')
		if i < 0 {
			break
		}
		r.entries = append(r.entries, "> "+string(r.partial[:i]))
		r.partial = r.partial[i+1:]
	}
	return len(p), nil
}

// Entries returns a copy of every entry recorded, statements and printed lines.
func (r *Recorder) Entries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.entries...)
}

// Output returns the printed lines only, without their "> " marks.
func (r *Recorder) Output() []string {
	var out []string
	for _, e := range r.Entries() {
		if s, ok := strings.CutPrefix(e, "> "); ok {
			out = append(out, s)
		}
	}
	return out
}

// Take returns the entries recorded since the last Take or Reset and forgets them (a
// printed line not yet ended by a newline is kept).
func (r *Recorder) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.entries
	r.entries = nil
	return out
}

// Reset forgets everything recorded, including a printed line not yet ended.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.entries, r.partial = nil, nil
	r.mu.Unlock()
}

// AutocommitReads rewrites a transcript of sessions that begin their transaction at their
// first statement into what the same sessions log when their reads run without a
// transaction (orm.BeginOnRead(false)): in each stretch from BEGIN to COMMIT or ROLLBACK,
// BEGIN moves to just before the first INSERT, UPDATE or DELETE (or the first of
// flushReads, statements a flush runs before its first write, such as the load of a
// deleted parent's children), and a stretch without one loses its BEGIN and its end.
// Printed lines and other statements stay where they are.
func AutocommitReads(entries []string, flushReads ...string) []string {
	out := make([]string, 0, len(entries))
	for i := 0; i < len(entries); i++ {
		if entries[i] != "BEGIN" {
			out = append(out, entries[i])
			continue
		}
		end := i + 1
		for end < len(entries) && entries[end] != "COMMIT" && entries[end] != "ROLLBACK" {
			end++
		}
		wrote := false
		for _, e := range entries[i+1 : min(end, len(entries))] {
			if !wrote && (isWrite(e) || slices.Contains(flushReads, e)) {
				out = append(out, "BEGIN")
				wrote = true
			}
			out = append(out, e)
		}
		if wrote && end < len(entries) {
			out = append(out, entries[end])
		}
		i = end
	}
	return out
}

func isWrite(e string) bool {
	for _, p := range []string{"INSERT ", "UPDATE ", "DELETE "} {
		if strings.HasPrefix(e, p) {
			return true
		}
	}
	return false
}
