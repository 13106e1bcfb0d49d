package inspect

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
)

//go:embed static
var staticFS embed.FS

var page = template.Must(template.ParseFS(staticFS, "static/index.html"))

// actionTimeout bounds a replay or a sample served in process: longer
// than the pipeline's handler deadline, so the answer is the pipeline's.
const actionTimeout = time.Minute

// Handler returns the inspector's HTTP handler: the page (GET /), its
// script and style (GET /static/…), the live list (GET /events, Server-
// Sent Events), the list as JSON (GET /deliveries), one delivery in detail
// (GET /deliveries/{id}), the samples (GET /samples), and the actions
// Replay (POST /deliveries/{id}/replay) and Send sample (POST
// /samples/{bank}/{name}).
//
// Replays and samples are served in process by target (serve's whole
// handler, access log included) as requests addressed to host (the banks'
// listener). A replay is the request as it was received: same method, URL
// (token included), headers, body and client address, so the allowlist
// and the rate limit judge the sender the bank delivery had, and a
// handled event comes back "200 replayed". A sample comes from the
// page's own loopback address, as `bankhook send` from this machine
// would, with the URL token serve accepts.
//
// Every request must name a loopback host in its Host header (so a page
// of another site cannot reach the inspector through DNS rebinding), and
// must carry the session cookie or the access token (see the package
// doc's Access; without, 401). Every action must also carry the page's
// token in [HeaderToken] and come from the inspector's own origin (so
// another site, or another server of this host, open in the same browser
// cannot trigger one). Serve the handler on a loopback listener only: see
// [Inspector.Listen].
func (i *Inspector) Handler(target http.Handler, host string) http.Handler {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree has the folder
	}
	a := &api{i: i, target: target, host: host}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.page)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /events", a.events)
	mux.HandleFunc("GET /deliveries", a.list)
	mux.HandleFunc("GET /deliveries/{id}", a.detail)
	mux.HandleFunc("GET /samples", a.samples)
	mux.Handle("POST /deliveries/{id}/replay", a.action(a.replay))
	mux.Handle("POST /samples/{bank}/{name}", a.action(a.sendSample))
	return loopbackOnly(securityHeaders(i.requireAccess(mux)))
}

// api serves the inspector's endpoints.
type api struct {
	i      *Inspector
	target http.Handler
	host   string
}

// loopbackOnly answers 403 to a request whose Host header is not a
// loopback name ("localhost", 127.0.0.0/8, ::1, with any port).
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			http.Error(w, "bankhook inspector: the Host header must name this machine's loopback (localhost, 127.0.0.1 or [::1])", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether hostport (a Host header, or the host of an
// Origin) names a loopback address: "localhost" or a loopback IP, with
// or without a port. Any other name, even one that resolves to loopback
// today, is refused: DNS rebinding points names like that at 127.0.0.1.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.WithZone("").Unmap().IsLoopback()
}

// securityHeaders keeps the page from being framed, sniffed, cached or
// loading anything from elsewhere.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// action requires the page's token in HeaderToken, and refuses a request
// a browser marks as coming from another origin: an Origin that is not
// the inspector's own (a loopback host and the very Host the request
// names, so not another port of this machine either), or a Sec-Fetch-Site
// of cross-site or same-site.
func (a *api) action(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || u.Scheme != "http" || !loopbackHost(u.Host) || !strings.EqualFold(u.Host, r.Host) {
				writeError(w, http.StatusForbidden, "the request comes from another origin")
				return
			}
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			writeError(w, http.StatusForbidden, "the request comes from another origin")
			return
		}
		if !sameSecret(r.Header.Get(HeaderToken), a.i.token) {
			writeError(w, http.StatusForbidden, "missing or wrong "+HeaderToken+": reload the page")
			return
		}
		next(w, r)
	})
}

// pageData fills static/index.html.
type pageData struct {
	Token string
	Boot  string
}

func (a *api) page(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	if err := page.Execute(&b, pageData{Token: a.i.token, Boot: a.i.boot}); err != nil {
		writeError(w, http.StatusInternalServerError, "render the page: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

func (a *api) list(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.i.Deliveries())
}

func (a *api) detail(w http.ResponseWriter, r *http.Request) {
	id, ok := a.id(w, r)
	if !ok {
		return
	}
	s, k, found := a.i.lookup(id)
	if !found {
		writeError(w, http.StatusNotFound, "delivery "+strconv.FormatUint(id, 10)+" is no longer kept")
		return
	}
	writeJSON(w, http.StatusOK, newDetail(s, k, a.i.o.TokenParam))
}

// id parses the {id} of the path, answering 404 when it is not one.
func (a *api) id(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		writeError(w, http.StatusNotFound, "no delivery "+strconv.Quote(r.PathValue("id")))
		return 0, false
	}
	return id, true
}

// sampleList is GET /samples: each bank's samples, in the banks' order.
type sampleList struct {
	Bank    string   `json:"bank"`
	Samples []string `json:"samples"`
}

func (a *api) samples(w http.ResponseWriter, _ *http.Request) {
	list := make([]sampleList, 0, len(a.i.o.Banks))
	for _, b := range a.i.o.Banks {
		names := []string{}
		if b.SampleNames != nil {
			names = b.SampleNames()
		}
		list = append(list, sampleList{Bank: b.Name, Samples: names})
	}
	writeJSON(w, http.StatusOK, list)
}

// actionResult answers an action: the delivery it caused.
type actionResult struct {
	Delivery Summary `json:"delivery"`
}

func (a *api) replay(w http.ResponseWriter, r *http.Request) {
	id, ok := a.id(w, r)
	if !ok {
		return
	}
	_, k, found := a.i.lookup(id)
	switch {
	case !found:
		writeError(w, http.StatusNotFound, "delivery "+strconv.FormatUint(id, 10)+" is no longer kept")
		return
	case k == nil:
		writeError(w, http.StatusGone, "the request of delivery "+strconv.FormatUint(id, 10)+" is no longer kept (memory budget)")
		return
	case !k.bodyRead:
		writeError(w, http.StatusConflict, "delivery "+strconv.FormatUint(id, 10)+" was rejected before its body was read: there is no body to replay")
		return
	}
	req, err := http.NewRequest(k.method, k.requestURI, bytes.NewReader(k.body))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "rebuild the request: "+err.Error())
		return
	}
	req.RequestURI, req.Host, req.RemoteAddr = k.requestURI, k.host, k.remoteAddr
	req.Header = k.header.Clone()
	a.serve(w, r, req, &via{kind: "replay", replayOf: id})
}

func (a *api) sendSample(w http.ResponseWriter, r *http.Request) {
	b, ok := a.i.banks[r.PathValue("bank")]
	if !ok {
		writeError(w, http.StatusNotFound, "no bank "+strconv.Quote(r.PathValue("bank")))
		return
	}
	name := r.PathValue("name")
	var body []byte
	if b.Sample != nil {
		body, ok = b.Sample(name)
	}
	if !ok || b.Sample == nil {
		writeError(w, http.StatusNotFound, b.Name+" has no sample "+strconv.Quote(name))
		return
	}
	uri := b.Path
	if a.i.o.Token != "" {
		uri += "?" + url.Values{a.i.o.TokenParam: {a.i.o.Token}}.Encode()
	}
	req, err := http.NewRequest(http.MethodPost, uri, bytes.NewReader(body))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "build the request: "+err.Error())
		return
	}
	req.RequestURI, req.Host, req.RemoteAddr = uri, a.host, r.RemoteAddr
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "bankhook-inspector")
	a.serve(w, r, req, &via{kind: "sample", sample: strings.ToUpper(name)})
}

// serve runs req through the target in process, marked by v, and answers
// with the delivery it caused. The request runs to its end even when the
// page goes away, bounded by actionTimeout.
func (a *api) serve(w http.ResponseWriter, r *http.Request, req *http.Request, v *via) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), actionTimeout)
	defer cancel()
	req = req.WithContext(context.WithValue(ctx, viaKey{}, v))
	a.target.ServeHTTP(newDiscard(), req)
	s, _, found := a.i.lookup(v.id)
	if v.id == 0 || !found {
		writeError(w, http.StatusBadGateway, "the request reached no bank endpoint")
		return
	}
	writeJSON(w, http.StatusOK, actionResult{Delivery: s})
}

// discard is the ResponseWriter of a request served in process: Watch
// records the answer, nothing else needs it.
type discard struct{ h http.Header }

func newDiscard() *discard                     { return &discard{h: http.Header{}} }
func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }

// problem is the inspector's own error document.
type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func writeError(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, problem{Status: status, Detail: "bankhook inspector: " + detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"status":500,"detail":"bankhook inspector: encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
