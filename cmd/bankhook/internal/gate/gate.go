// Package gate is the listener of serve's bank endpoints: it bounds the
// connections open at once and closes, at accept, those of peers no
// allowlist holds.
package gate

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Listener is serve's listener on --addr. It keeps at most max
// connections open at once: past that, Accept waits for one to close,
// and new connections wait in the kernel's backlog. With admit set, a
// connection whose peer admit refuses is closed as soon as it is
// accepted, before any of its bytes is read: a sender outside the
// allowlist costs an accept and a close, never a parse.
//
// A Listener is safe for concurrent use; its zero value is not usable:
// build one with New. Close closes the listener;
// connections already accepted close on their own.
type Listener struct {
	net.Listener
	slots   chan struct{}         // one token per open connection
	admit   func(netip.Addr) bool // nil: every peer
	refused atomic.Uint64         // connections closed at accept
	done    chan struct{}         // closed by Close: Accept stops waiting
	once    sync.Once             // guards closing done
}

// New returns ln gated: at most max connections open at once (max must
// be positive), and with admit set, only those of peers it admits.
func New(ln net.Listener, max int, admit func(netip.Addr) bool) *Listener {
	return &Listener{Listener: ln, slots: make(chan struct{}, max), admit: admit, done: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection it admits.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			return nil, err
		}
		if l.admit != nil && !l.admit(peerAddr(c)) {
			_ = c.Close()
			<-l.slots
			l.refused.Add(1)
			continue
		}
		return &conn{Conn: c, release: func() { <-l.slots }}, nil
	}
}

// Close stops accepting.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// Refused is the number of connections closed at accept.
func (l *Listener) Refused() uint64 { return l.refused.Load() }

// peerAddr is the connection's remote address, unmapped and without a
// zone; the zero Addr when it has none.
func peerAddr(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap().WithZone("")
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap().WithZone("")
}

// conn gives its slot back once, when it is closed.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
