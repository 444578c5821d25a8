package bench

import (
	"errors"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
)

// RoundTripProxy is a TCP proxy in front of a database server that counts round trips:
// on each connection, every time the client sends after the server has sent (or for the
// first time), one more. Statements a client pipelines (writes one after the other
// without waiting for answers) are one round trip. It is safe for concurrent use and
// lives until Close.
type RoundTripProxy struct {
	ln     net.Listener
	target string
	n      atomic.Int64
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// StartRoundTripProxy listens on a free loopback port and forwards every connection to
// target (host:port).
func StartRoundTripProxy(target string) (*RoundTripProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &RoundTripProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *RoundTripProxy) Addr() string { return p.ln.Addr().String() }

// Count returns the round trips counted so far, on all connections.
func (p *RoundTripProxy) Count() int64 { return p.n.Load() }

// Through returns the database URL u with its host and port replaced by the proxy's.
func (p *RoundTripProxy) Through(u string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", errors.New("bench: cannot parse the database URL for the round-trip proxy")
	}
	parsed.Host = p.Addr()
	return parsed.String(), nil
}

// Close stops listening and closes every proxied connection.
func (p *RoundTripProxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *RoundTripProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *RoundTripProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		if !p.track(client) || !p.track(server) {
			client.Close()
			server.Close()
			continue
		}
		var mu sync.Mutex
		serverSpoke := true
		p.wg.Add(2)
		go p.pipe(server, client, func() {
			mu.Lock()
			if serverSpoke {
				p.n.Add(1)
				serverSpoke = false
			}
			mu.Unlock()
		})
		go p.pipe(client, server, func() {
			mu.Lock()
			serverSpoke = true
			mu.Unlock()
		})
	}
}

// pipe copies from src to dst, calling seen before forwarding each chunk read, and
// closes both ends when either side stops.
func (p *RoundTripProxy) pipe(dst, src net.Conn, seen func()) {
	defer p.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			seen()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil { // io.EOF or a closed connection: either way this side is done
			break
		}
	}
	src.Close()
	dst.Close()
}
