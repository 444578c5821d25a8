package testdb

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// RoundTrips counts the round trips between clients and a database server through a
// loopback proxy: a round trip is a burst of bytes from a client that follows an answer
// of the server (or opens the connection), so a pipeline of statements sent in one write
// counts once. It is safe for concurrent use and lives as long as the test that made it.
type RoundTrips struct {
	n atomic.Int64
}

// Take returns the round trips counted since the last call and starts again from zero
// (0 for a nil counter: an embedded database has no round trips).
func (r *RoundTrips) Take() int64 {
	if r == nil {
		return 0
	}
	return r.n.Swap(0)
}

// Proxy returns tg with its URL pointing at a loopback proxy in front of tg's server (for
// the server targets; an SQLite target is returned unchanged with a nil counter), and the
// counter of the round trips that go through it. The proxy closes with the test.
func Proxy(t testing.TB, tg Target) (Target, *RoundTrips) {
	t.Helper()
	u, err := url.Parse(tg.URL)
	if err != nil || u.Host == "" {
		return tg, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rt := &RoundTrips{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	target := u.Host
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, client, server)
			mu.Unlock()
			var answered atomic.Bool
			answered.Store(true)
			wg.Add(2)
			go func() { // client -> server
				defer wg.Done()
				defer server.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						if answered.Swap(false) {
							rt.n.Add(1)
						}
						if _, werr := server.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
			go func() { // server -> client
				defer wg.Done()
				defer client.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := server.Read(buf)
					if n > 0 {
						answered.Store(true)
						if _, werr := client.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	pu := *u
	pu.Host = ln.Addr().String()
	tg.URL = pu.String()
	return tg, rt
}
