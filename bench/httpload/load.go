// Package httpload drives an HTTP/1.1 server on the loopback interface
// with keep-alive connections and measures it: requests per second,
// latency percentiles, and the server process's CPU time. It speaks just
// enough HTTP (a request in one write, a response read by its
// Content-Length) that its own cost per request stays far below the
// server's, so that the server, not the load, is what is measured.
//
// Pinning puts the server process and the load on CPUs of their own
// (Linux, taskset), so that the two do not compete.
package httpload

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
	"time"
)

// Load is a load of POST requests on keep-alive connections. Its fields
// are set before Run, which may be called several times, one at a time.
type Load struct {
	// Addr is the server's host:port.
	Addr string
	// Path is the request path, with its query.
	Path string
	// Conns is the number of connections, each sending its next request
	// when the previous one is answered.
	Conns int
	// Bodies returns the body source of one connection: each call of the
	// source returns the next request's body, which the load does not
	// keep. A source is used by one goroutine at a time.
	Bodies func() func() []byte
	// Grace is how long after the end of a Run a request still in flight
	// may take before it fails. Default 30 s.
	Grace time.Duration
}

// Phase is what one timed run of a Load measured. A request counts as
// done when it is answered 200; any other answer, or a failed connection,
// is an error.
type Phase struct {
	Requests  int             // requests answered 200
	Replayed  int             // of those, answers with Idempotent-Replayed: true
	Errors    int             // requests that failed
	FirstErr  error           // the first failure, nil when none
	Elapsed   time.Duration   // the measured time
	Latencies []time.Duration // of the requests done, sorted
}

// Rate is the requests done per second.
func (p *Phase) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Requests) / p.Elapsed.Seconds()
}

// Quantile returns the q-quantile of the latencies (nearest rank).
func (p *Phase) Quantile(q float64) time.Duration {
	return quantile(p.Latencies, q)
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Run sends requests on every connection until d has passed, then waits
// for the requests in flight.
func (l *Load) Run(d time.Duration) *Phase {
	start := time.Now()
	end := start.Add(d)
	phases := make([]Phase, l.Conns)
	var wg sync.WaitGroup
	for i := range phases {
		wg.Go(func() { l.conn(end, &phases[i]) })
	}
	wg.Wait()
	p := &Phase{Elapsed: time.Since(start)}
	for _, c := range phases {
		p.Requests += c.Requests
		p.Replayed += c.Replayed
		p.Errors += c.Errors
		if p.FirstErr == nil {
			p.FirstErr = c.FirstErr
		}
		p.Latencies = append(p.Latencies, c.Latencies...)
	}
	slices.Sort(p.Latencies)
	return p
}

// conn is one connection's loop. A failed request counts as an error and
// the connection is dialled again.
func (l *Load) conn(end time.Time, p *Phase) {
	next := l.Bodies()
	grace := l.Grace
	if grace <= 0 {
		grace = 30 * time.Second
	}
	p.Latencies = make([]time.Duration, 0, 1<<14)
	var (
		c       net.Conn
		br      *bufio.Reader
		req     []byte // the head, then the body
		headLen int
	)
	size := -1 // the body length the head announces
	defer func() {
		if c != nil {
			_ = c.Close()
		}
	}()
	for time.Now().Before(end) {
		if c == nil {
			var err error
			if c, err = net.Dial("tcp", l.Addr); err != nil {
				p.fail(err)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			_ = c.SetDeadline(end.Add(grace))
			br = bufio.NewReaderSize(c, 4096)
		}
		body := next()
		if len(body) != size {
			req, size = l.head(req[:0], len(body)), len(body)
			headLen = len(req)
		}
		req = append(req[:headLen], body...)
		t0 := time.Now()
		a, err := roundTrip(c, br, req)
		if err == nil && a.status != 200 {
			err = fmt.Errorf("httpload: status %d", a.status)
		}
		if err != nil {
			p.fail(err)
		} else {
			p.Latencies = append(p.Latencies, time.Since(t0))
			p.Requests++
			if a.replayed {
				p.Replayed++
			}
		}
		if err != nil || !a.keep {
			_ = c.Close()
			c = nil
		}
	}
}

// Send sends one request with body on a connection of its own, outside
// any Run, and returns an error unless it is answered 200: for example the
// first delivery of an event that the load then repeats.
func (l *Load) Send(body []byte) error {
	c, err := net.Dial("tcp", l.Addr)
	if err != nil {
		return err
	}
	defer c.Close()
	a, err := roundTrip(c, bufio.NewReader(c), append(l.head(nil, len(body)), body...))
	if err == nil && a.status != 200 {
		err = fmt.Errorf("httpload: status %d", a.status)
	}
	return err
}

// head appends the head of a request with a body of n bytes to b.
func (l *Load) head(b []byte, n int) []byte {
	return fmt.Appendf(b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		l.Path, l.Addr, n)
}

func (p *Phase) fail(err error) {
	p.Errors++
	if p.FirstErr == nil {
		p.FirstErr = err
	}
}

// response is what roundTrip read.
type response struct {
	status   int
	keep     bool // the connection may be reused
	replayed bool // Idempotent-Replayed: true
}

var (
	errMalformed = errors.New("httpload: malformed response")
	crlf         = []byte("\r\n")
)

// roundTrip writes req and reads one response, discarding its body.
func roundTrip(c net.Conn, br *bufio.Reader, req []byte) (response, error) {
	var r response
	if _, err := c.Write(req); err != nil {
		return r, err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return r, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return r, errMalformed
	}
	if r.status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return r, errMalformed
	}
	length := -1
	r.keep = true
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return r, err
		}
		line = bytes.TrimSuffix(line, crlf)
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return r, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return r, errMalformed
			}
		case bytes.EqualFold(name, []byte("Connection")):
			r.keep = !bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("Idempotent-Replayed")):
			r.replayed = bytes.Equal(value, []byte("true"))
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return r, fmt.Errorf("httpload: unexpected Transfer-Encoding %q", value)
		}
	}
	if length < 0 {
		return r, errors.New("httpload: response without Content-Length")
	}
	if _, err := br.Discard(length); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return r, err
	}
	return r, nil
}

// Result gathers one server's phases over several rounds.
type Result struct {
	Rates     []float64       // requests per second of each round
	Requests  int             // requests answered 200, all rounds
	Replayed  int             // of those, answers with Idempotent-Replayed: true
	Errors    int             // requests that failed, all rounds
	FirstErr  error           // the first failure, nil when none
	Latencies []time.Duration // every round's, sorted
	Wall      time.Duration   // the rounds' measured time
	CPU       time.Duration   // the server's CPU time in them
	CPUKnown  bool            // whether CPU could be read for every round
}

// Add records one round; cpu is the server's CPU time in it, negative
// when unknown.
func (r *Result) Add(p *Phase, cpu time.Duration) {
	r.CPUKnown = (len(r.Rates) == 0 || r.CPUKnown) && cpu >= 0
	r.Rates = append(r.Rates, p.Rate())
	r.Requests += p.Requests
	r.Replayed += p.Replayed
	r.Errors += p.Errors
	if r.FirstErr == nil {
		r.FirstErr = p.FirstErr
	}
	r.Latencies = append(r.Latencies, p.Latencies...)
	slices.Sort(r.Latencies)
	r.Wall += p.Elapsed
	if cpu > 0 {
		r.CPU += cpu
	}
}

// Rate is the median round's requests per second.
func (r *Result) Rate() float64 {
	if len(r.Rates) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(r.Rates))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// PerCPUSecond is the requests served per second of server CPU time; 0
// when unknown.
func (r *Result) PerCPUSecond() float64 {
	if !r.CPUKnown || r.CPU <= 0 {
		return 0
	}
	return float64(r.Requests) / r.CPU.Seconds()
}

// Quantile returns the q-quantile of every round's latencies.
func (r *Result) Quantile(q float64) time.Duration {
	return quantile(r.Latencies, q)
}
