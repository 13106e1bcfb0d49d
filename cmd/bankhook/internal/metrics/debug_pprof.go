//go:build bankhook_pprof

package metrics

import (
	"net/http"
	"net/http/pprof"
)

// pprofBuild says whether this build serves net/http/pprof: only a binary
// built with -tags bankhook_pprof does, for the gateway load test's
// profiles (bench/gateway.sh); serve as users build it never does.
const pprofBuild = true

// addDebug serves net/http/pprof under /debug/pprof/ on the metrics
// listener.
func addDebug(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}
