package testdb

import (
	"encoding/binary"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// RoundTrips counts the round trips between clients and a database server through a
// loopback proxy. For PostgreSQL it reads the client's protocol messages: a round trip is
// a message that makes the server answer and wait for the client (Sync, which ends an
// extended-protocol exchange or a pipeline, a simple Query, a message of the start-up
// and authentication), so a pipeline counts once however its bytes are split on the way.
// The proxied PostgreSQL URL has sslmode=disable, so that the messages can be read. For
// other servers a round trip is a burst of bytes from a client that follows an answer
// of the server (or opens the connection). It is safe for concurrent use and lives as
// long as the test that made it.
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
	postgres := u.Scheme == "postgres" || u.Scheme == "postgresql"
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
			var pg pgMessages
			wg.Add(2)
			go func() { // client -> server
				defer wg.Done()
				defer server.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						if postgres {
							rt.n.Add(pg.waits(buf[:n]))
						} else if answered.Swap(false) {
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
	if postgres {
		// The messages must be readable on the way: no TLS between client and proxy.
		q := pu.Query()
		q.Set("sslmode", "disable")
		pu.RawQuery = q.Encode()
	}
	tg.URL = pu.String()
	return tg, rt
}

// pgMessages splits a PostgreSQL client's byte stream into protocol messages: untyped
// start-up messages (SSLRequest, GSSENCRequest, StartupMessage) first, then messages of a
// type byte and a length.
type pgMessages struct {
	started bool   // the StartupMessage has gone: messages are typed
	head    []byte // the header of the message being read, until complete
	skip    int    // bytes of the current message's body still to come
}

// waits reads the next bytes of the stream and returns how many messages among them make
// the client wait for the server.
func (p *pgMessages) waits(b []byte) int64 {
	var n int64
	for len(b) > 0 {
		if p.skip > 0 {
			k := min(p.skip, len(b))
			p.skip -= k
			b = b[k:]
			continue
		}
		size := 5 // type byte and length
		if !p.started {
			size = 8 // length and protocol code
		}
		k := min(size-len(p.head), len(b))
		p.head = append(p.head, b[:k]...)
		b = b[k:]
		if len(p.head) < size {
			break
		}
		if !p.started {
			length := int(binary.BigEndian.Uint32(p.head[:4]))
			code := binary.BigEndian.Uint32(p.head[4:8])
			// 80877103 is SSLRequest, 80877104 GSSENCRequest; anything else is the
			// StartupMessage, after which messages are typed.
			p.started = code != 80877103 && code != 80877104
			p.skip = length - 8
			n++
		} else {
			length := int(binary.BigEndian.Uint32(p.head[1:5]))
			switch p.head[0] {
			case 'S', 'Q', 'p', 'F':
				n++
			}
			p.skip = length - 4
		}
		p.head = p.head[:0]
	}
	return n
}
