//go:build !bankhook_pprof

package metrics

import "net/http"

// pprofBuild says whether this build serves net/http/pprof: only a binary
// built with -tags bankhook_pprof does (see debug_pprof.go).
const pprofBuild = false

// addDebug adds nothing: profiling is served only by a build with
// -tags bankhook_pprof.
func addDebug(*http.ServeMux) {}
