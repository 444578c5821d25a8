package bench

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestRoundTripProxy checks the count on a loopback echo server: a write answered before
// the next write is one round trip; writes sent before any answer are one together.
func TestRoundTripProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	p, err := StartRoundTripProxy(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	echo := func(msg string) {
		t.Helper()
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
			t.Fatalf("echo: %q, %v", buf, err)
		}
	}
	echo("one")
	echo("two")
	if got := p.Count(); got != 2 {
		t.Fatalf("after two answered writes: %d round trips, want 2", got)
	}
	// Two writes sent back to back, then both answers read: pipelined, one round trip
	// (the proxy may see them as one chunk or two, before any answer comes back).
	if _, err := c.Write([]byte("three")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("four")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("threefour"))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "threefour" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
	if got := p.Count(); got < 3 || got > 4 {
		t.Fatalf("after a pipelined pair: %d round trips, want 3 (or 4 if the echo overtook the second write)", got)
	}
	u, err := p.Through("postgresql://postgres@127.0.0.1:5432/db?sslmode=disable")
	if err != nil || u != "postgresql://postgres@"+p.Addr()+"/db?sslmode=disable" {
		t.Fatalf("Through: %q, %v", u, err)
	}
}
