package inspect

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// DefaultAddr is where serve --dev starts the inspector, the port local
// webhook inspectors use.
const DefaultAddr = "127.0.0.1:4040"

// Server limits of the inspector's listener. Streams are long-lived:
// each of their writes has its own deadline instead of a WriteTimeout.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
)

// ErrNotLoopback is returned by [CheckAddr] and [Inspector.Listen] for an
// address that is not this machine's loopback.
var ErrNotLoopback = errors.New("bankhook: the inspector listens on loopback only (127.0.0.1, [::1] or localhost)")

// CheckAddr checks an inspector address: host:port whose host is a
// loopback IP (127.0.0.0/8, ::1) or "localhost". An empty host (every
// interface), a wildcard or any other name is refused with
// [ErrNotLoopback]: the inspector shows account data and replays
// deliveries.
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bankhook: inspector address %q: want host:port: %w", addr, err)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("bankhook: inspector address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.WithZone("").Unmap().IsLoopback() {
		return fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	return nil
}

// Server is the inspector served on a loopback listener of its own.
// Its methods are safe for concurrent use.
type Server struct {
	i   *Inspector
	srv *http.Server
	ln  net.Listener
}

// Listen listens on addr (see [CheckAddr]; "localhost" must resolve to
// loopback) and serves [Inspector.Handler](target, host) there in the
// background until Shutdown. errorLog receives the server's errors; nil
// means the log package's standard logger.
func (i *Inspector) Listen(addr string, target http.Handler, host string, errorLog *log.Logger) (*Server, error) {
	if err := CheckAddr(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bankhook: inspector: %w", err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return nil, fmt.Errorf("%w: %q listens on %s", ErrNotLoopback, addr, ln.Addr())
	}
	s := &Server{
		i:  i,
		ln: ln,
		srv: &http.Server{
			Handler:           i.Handler(target, host),
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          errorLog,
		},
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && errorLog != nil {
			errorLog.Printf("bankhook: inspector: %v", err)
		}
	}()
	return s, nil
}

// URL returns the page's address: "http://127.0.0.1:4040/". Without the
// session cookie it is answered 401: open [Server.AccessURL] first.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// AccessURL returns the page's address with the access token of this
// process, "http://127.0.0.1:4040/?token=…", which signs a browser in
// (see the package doc's Access). It is a secret: give it to the user
// only (serve logs it), never to a file or a page others can read.
func (s *Server) AccessURL() string {
	return s.URL() + "?" + url.Values{AccessParam: {s.i.access}}.Encode()
}

// Shutdown ends the live streams, then waits for the requests in flight
// (a replay runs to its end) until ctx ends, and closes the listener.
func (s *Server) Shutdown(ctx context.Context) error {
	s.i.Close()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
		return fmt.Errorf("bankhook: inspector: %w", err)
	}
	return nil
}
