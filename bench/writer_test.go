package bench

import "net/http"

// discardWriter is a reusable http.ResponseWriter for benchmarks whose
// handlers write only headers: it keeps one header map (cleared between
// requests by reset) and counts the answers that were not 200, so that a
// benchmark can check that every request passed without keeping a
// recorder per request.
type discardWriter struct {
	header  http.Header
	refused int // WriteHeader calls with a status other than 200
	last    int // the last status written
}

func newDiscardWriter() *discardWriter { return &discardWriter{header: make(http.Header)} }

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

func (w *discardWriter) WriteHeader(status int) {
	w.last = status
	if status != http.StatusOK {
		w.refused++
	}
}

// reset clears the headers for the next request, keeping the map.
func (w *discardWriter) reset() { clear(w.header) }
