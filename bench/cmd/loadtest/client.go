package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bankhook/bankhook/bench/workload"
)

// load drives one server with keep-alive HTTP/1.1 connections. It speaks
// just enough HTTP to do that (a request written in one write, a response
// read by its Content-Length), so that its cost per request stays far
// below the server's and the server, not the load, is what is measured.
type load struct {
	addr     string
	conns    int
	events   *workload.PaymentEvents
	distinct bool          // rewrite the Payment id for every request
	nextID   atomic.Uint64 // the next event's number, when distinct
}

// phase is what one timed run of the load measured.
type phase struct {
	requests  int
	errors    int
	firstErr  error
	elapsed   time.Duration
	latencies []time.Duration // sorted
}

// quantile returns the q-quantile of the latencies (nearest rank).
func (p *phase) quantile(q float64) time.Duration {
	if len(p.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(p.latencies))+0.999999) - 1
	return p.latencies[min(max(i, 0), len(p.latencies)-1)]
}

func (p *phase) rate() float64 {
	if p.elapsed <= 0 {
		return 0
	}
	return float64(p.requests) / p.elapsed.Seconds()
}

// serverResult gathers one server's phases over the rounds.
type serverResult struct {
	rates     []float64 // req/s of each round
	requests  int
	errors    int
	firstErr  error
	latencies []time.Duration // every round's, sorted
	wall      time.Duration   // the rounds' measured time
	cpu       time.Duration   // the server's CPU time in them
	cpuKnown  bool
}

// add records one round. cpu is the server's CPU time in it, negative
// when unknown.
func (r *serverResult) add(p *phase, cpu time.Duration) {
	r.cpuKnown = (len(r.rates) == 0 || r.cpuKnown) && cpu >= 0
	r.rates = append(r.rates, p.rate())
	r.requests += p.requests
	r.errors += p.errors
	if r.firstErr == nil {
		r.firstErr = p.firstErr
	}
	r.latencies = append(r.latencies, p.latencies...)
	slices.Sort(r.latencies)
	r.wall += p.elapsed
	if cpu > 0 {
		r.cpu += cpu
	}
}

// rate is the median round's requests per second.
func (r *serverResult) rate() float64 {
	if len(r.rates) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(r.rates))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// perCPUSecond is the requests served per second of server CPU time.
func (r *serverResult) perCPUSecond() float64 {
	if !r.cpuKnown || r.cpu <= 0 {
		return 0
	}
	return float64(r.requests) / r.cpu.Seconds()
}

// quantile returns the q-quantile of every round's latencies.
func (r *serverResult) quantile(q float64) time.Duration {
	return (&phase{latencies: r.latencies}).quantile(q)
}

// run sends requests on every connection until d has passed, then waits
// for the requests in flight.
func (l *load) run(d time.Duration) *phase {
	start := time.Now()
	end := start.Add(d)
	results := make([]connResult, l.conns)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = l.conn(end) })
	}
	wg.Wait()
	p := &phase{elapsed: time.Since(start)}
	for _, r := range results {
		p.requests += len(r.latencies)
		p.errors += r.errors
		if p.firstErr == nil {
			p.firstErr = r.err
		}
		p.latencies = append(p.latencies, r.latencies...)
	}
	slices.Sort(p.latencies)
	return p
}

// prime sends the current event once, on a connection of its own, and
// requires a 200.
func (l *load) prime() error {
	c, err := net.Dial("tcp", l.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	body := l.events.Body()
	req := fmt.Appendf(nil, "POST /bunq HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		l.addr, len(body), body)
	status, _, err := roundTrip(c, bufio.NewReader(c), req)
	if err == nil && status != 200 {
		err = fmt.Errorf("loadtest: status %d", status)
	}
	return err
}

type connResult struct {
	latencies []time.Duration
	errors    int
	err       error
}

// conn is one keep-alive connection's loop. A failed request counts as an
// error and the connection is dialled again.
func (l *load) conn(end time.Time) connResult {
	ev := l.events.Clone()
	head := fmt.Appendf(nil, "POST /bunq HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		l.addr, len(ev.Body()))
	req := append(head, ev.Body()...)
	body := req[len(head):]

	res := connResult{latencies: make([]time.Duration, 0, 1<<15)}
	var c net.Conn
	var br *bufio.Reader
	defer func() {
		if c != nil {
			_ = c.Close()
		}
	}()
	for time.Now().Before(end) {
		if c == nil {
			var err error
			if c, err = net.Dial("tcp", l.addr); err != nil {
				res.fail(err)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			_ = c.SetDeadline(end.Add(10 * time.Second))
			br = bufio.NewReaderSize(c, 4096)
		}
		if l.distinct {
			ev.Set(l.nextID.Add(1))
			copy(body, ev.Body())
		}
		t0 := time.Now()
		status, keep, err := roundTrip(c, br, req)
		if err == nil && status != 200 {
			err = fmt.Errorf("loadtest: status %d", status)
		}
		if err != nil {
			res.fail(err)
		} else {
			res.latencies = append(res.latencies, time.Since(t0))
		}
		if err != nil || !keep {
			_ = c.Close()
			c = nil
		}
	}
	return res
}

func (r *connResult) fail(err error) {
	r.errors++
	if r.err == nil {
		r.err = err
	}
}

var (
	errMalformed = errors.New("loadtest: malformed response")
	crlf         = []byte("\r\n")
)

// roundTrip writes req and reads one response, discarding its body. It
// reports the status and whether the connection may be reused.
func roundTrip(c net.Conn, br *bufio.Reader, req []byte) (status int, keep bool, err error) {
	if _, err := c.Write(req); err != nil {
		return 0, false, err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, false, errMalformed
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, errMalformed
	}
	length, keep := -1, true
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return status, false, err
		}
		line = bytes.TrimSuffix(line, crlf)
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, false, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return status, false, errMalformed
			}
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			keep = false
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return status, false, fmt.Errorf("loadtest: unexpected Transfer-Encoding %q", value)
		}
	}
	if length < 0 {
		return status, false, errors.New("loadtest: response without Content-Length")
	}
	if _, err := br.Discard(length); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return status, false, err
	}
	return status, keep, nil
}
