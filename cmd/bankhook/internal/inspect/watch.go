package inspect

import (
	"context"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"sync"

	"github.com/bankhook/bankhook"
	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
)

// record is what the pipeline tells about one request while it is
// served: the Observer and the sink fill it, Watch keeps it when the
// answer is written.
type record struct {
	mu          sync.Mutex // guards the fields below: the sink may report from a goroutine of its own
	sender      netip.Addr
	reason      bankhook.Reason
	cause       error
	key         string
	replayed    bool
	body        []byte
	bodyRead    bool
	event       *EventView
	line        []byte
	lineWritten bool
}

type recordKey struct{}

// recordFrom returns the request's record, nil when the inspector does
// not watch it.
func recordFrom(ctx context.Context) *record {
	r, _ := ctx.Value(recordKey{}).(*record)
	return r
}

// SetLine tells the inspector the output line the sink built for the
// event of the request in ctx, so that the detail view shows that very
// line. It does nothing for a request the inspector does not watch.
func SetLine(ctx context.Context, line []byte) {
	if rec := recordFrom(ctx); rec != nil {
		rec.mu.Lock()
		rec.line, rec.lineWritten = line, true
		rec.mu.Unlock()
	}
}

// Watched reports whether the inspector watches the request in ctx, so
// that a caller builds what it would give SetLine only then.
func Watched(ctx context.Context) bool { return recordFrom(ctx) != nil }

// via is set by Replay and Send sample on the request they serve in
// process; Watch reads it and writes back the id of the delivery.
type via struct {
	kind     string // "replay" or "sample"
	replayOf uint64
	sample   string
	id       uint64 // set by Watch
}

type viaKey struct{}

// Watch wraps the handler of bank's endpoint and keeps every request it
// serves as a delivery. It changes nothing in the request or the answer:
// it records the answer's status, headers and body (up to 64 KiB) while
// they are written through. Put it outside the pipeline, which must have
// the Inspector's Observer. A nil Inspector returns next.
func (i *Inspector) Watch(bank string, next http.Handler) http.Handler {
	if i == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := i.now()
		header := r.Header.Clone()
		rec := &record{}
		aw := &answerWriter{ResponseWriter: w}
		v, _ := r.Context().Value(viaKey{}).(*via)
		answered := false
		defer func() { // also after a panic, which net/http turns into a dropped connection: status 0
			if answered && aw.status == 0 { // nothing written: net/http answers 200
				aw.status = http.StatusOK
			}
			s := Summary{
				Time:       start,
				Bank:       bank,
				Status:     aw.status,
				DurationMS: float64(i.now().Sub(start).Microseconds()) / 1000,
			}
			if v != nil {
				s.Via, s.ReplayOf, s.Sample = v.kind, v.replayOf, v.sample
			}
			k := &kept{
				method:     r.Method,
				requestURI: r.RequestURI,
				host:       r.Host,
				remoteAddr: r.RemoteAddr,
				header:     header,
			}
			aw.fill(k)
			rec.fill(&s, k)
			if !rec.sender.IsValid() { // rejected before the pipeline judged it
				if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
					s.Sender = ap.Addr().Unmap().String()
				}
			}
			id := i.keep(newDelivery(s, k))
			if v != nil {
				v.id = id
			}
		}()
		next.ServeHTTP(aw, r.WithContext(context.WithValue(r.Context(), recordKey{}, rec)))
		answered = true
	})
}

// fill copies what the pipeline told into the summary and the kept part.
func (rec *record) fill(s *Summary, k *kept) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.sender.IsValid() {
		s.Sender = rec.sender.String()
	}
	s.Reason = string(rec.reason)
	s.IdempotencyKey = rec.key
	s.Replayed = rec.replayed
	if rec.cause != nil {
		k.cause = rec.cause.Error()
	}
	k.body, k.bodyRead = rec.body, rec.bodyRead
	k.event, k.line, k.lineWritten = rec.event, rec.line, rec.lineWritten
}

// Observer returns the Observer that tells Watch what the pipeline
// decided. Give it to every receiver Watch wraps (with
// bankhook.MultiObserver beside the others). A nil Inspector returns nil.
func (i *Inspector) Observer() bankhook.Observer {
	if i == nil {
		return nil
	}
	return observer{line: i.o.Line}
}

// observer fills the request's record. It is safe for concurrent use.
type observer struct {
	line func(context.Context) ([]byte, bool)
}

// Rejected implements bankhook.Observer.
func (o observer) Rejected(r *http.Request, rej bankhook.Rejection) {
	o.learn(r, func(rec *record) { rec.reason, rec.cause = rej.Reason, rej.Err })
}

// Handled implements bankhook.Observer.
func (o observer) Handled(r *http.Request, out bankhook.Outcome) {
	o.learn(r, func(rec *record) { rec.replayed = out.Replayed })
}

// learn records what the request's context holds (sender, key, body,
// event, the line an unwritten event would give) and what set adds.
func (o observer) learn(r *http.Request, set func(*record)) {
	ctx := r.Context()
	rec := recordFrom(ctx)
	if rec == nil {
		return
	}
	sender, _ := bankhook.ClientIPFrom(ctx)
	key, _ := bankhook.IdempotencyKeyFrom(ctx)
	body, bodyRead := bankhook.BodyFrom(ctx)
	ev, decoded := bankhook.EventFrom[bankhook.Event](ctx)
	var info *EventView
	if decoded {
		info = describe(ev)
	}
	rec.mu.Lock()
	needLine := decoded && rec.line == nil && o.line != nil
	rec.mu.Unlock()
	var line []byte
	if needLine { // a duplicate, or an event rejected before the sink: build the line it would give
		line, _ = o.line(ctx)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.sender = sender
	rec.key = key
	rec.body, rec.bodyRead = body, bodyRead
	rec.event = info
	if rec.line == nil {
		rec.line = line
	}
	set(rec)
}

// describe returns what the detail view says of a typed event: its
// category, type and object, and its amounts exactly as decoded.
func describe(ev bankhook.Event) *EventView {
	switch e := ev.(type) {
	case *bunq.Notification:
		info := &EventView{Category: string(e.Category), EventType: string(e.EventType)}
		if e.Object != nil {
			info.ObjectType = e.Object.ObjectType()
			info.Amounts = bunqAmounts(e.Object)
		}
		return info
	case *bankhub.Webhook:
		info := &EventView{Category: string(e.Type), EventType: string(e.Code), ObjectType: e.Event().Kind()}
		if t := e.Transaction; t != nil {
			info.Amounts = append(info.Amounts, Amount{"amount", joinCurrency(t.Amount.String(), t.Currency)})
			if t.RunningBalance != nil {
				info.Amounts = append(info.Amounts, Amount{"runningBalance", joinCurrency(t.RunningBalance.String(), t.Currency)})
			}
		}
		return info
	}
	return nil
}

func joinCurrency(value, currency string) string {
	if currency == "" {
		return value
	}
	return value + " " + currency
}

var amountType = reflect.TypeFor[bunq.Amount]()

// bunqAmounts returns the amounts a bunq object carries in fields of its
// own ("amount", "balance_after_mutation", …), in field order; absent
// (zero) amounts are left out.
func bunqAmounts(obj bunq.Object) []Amount {
	v := reflect.ValueOf(obj)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var list []Amount
	t := v.Type()
	for n := range t.NumField() {
		f := t.Field(n)
		if f.Type != amountType || !f.IsExported() {
			continue
		}
		a := v.Field(n).Interface().(bunq.Amount)
		if a.IsZero() {
			continue
		}
		name := f.Name
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
			name = tag
		}
		list = append(list, Amount{Field: name, Text: a.String()})
	}
	return list
}

// answerWriter passes an answer through and records its status, headers
// and the start of its body.
type answerWriter struct {
	http.ResponseWriter
	status    int
	header    http.Header // the headers when the status was written
	body      []byte
	truncated bool
}

func (a *answerWriter) WriteHeader(code int) {
	if a.status == 0 && code >= 200 { // 1xx answers are interim
		a.status = code
		a.header = a.ResponseWriter.Header().Clone()
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerWriter) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
		a.header = a.ResponseWriter.Header().Clone()
	}
	room := maxAnswer - len(a.body)
	if len(b) > room {
		a.truncated = true
	}
	a.body = append(a.body, b[:min(room, len(b))]...)
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (a *answerWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// fill copies the recorded answer into k.
func (a *answerWriter) fill(k *kept) {
	k.answerHeader, k.answerBody, k.answerTruncated = a.header, a.body, a.truncated
}
