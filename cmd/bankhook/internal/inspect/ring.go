package inspect

// ring keeps the latest deliveries by id (1, 2, 3, …): at most len(slots)
// of them, and their kept parts (request, answer, line) within max bytes,
// the oldest giving theirs up first. Only the newest delivery may keep its
// part beyond max.
//
// The zero value holds nothing and accepts nothing; use newRing. A ring
// is not safe for concurrent use: the Inspector's mutex guards it.
type ring struct {
	slots []*delivery // delivery id sits at (id-1) % len(slots)
	last  uint64      // id of the newest delivery; 0 before the first
	bytes int64       // size of the kept parts still held
	max   int64
	light uint64 // every delivery with an id up to light holds no kept part
}

func newRing(capacity int, maxBytes int64) ring {
	return ring{slots: make([]*delivery, capacity), max: maxBytes}
}

// len returns how many deliveries are kept.
func (r *ring) len() int { return int(min(r.last, uint64(len(r.slots)))) }

// oldest returns the id of the oldest delivery kept, 0 when there is none.
func (r *ring) oldest() uint64 {
	if r.last == 0 {
		return 0
	}
	return r.last - uint64(r.len()) + 1
}

// get returns delivery id, or nil when it is not (or no longer) kept.
func (r *ring) get(id uint64) *delivery {
	if id == 0 || id > r.last || id < r.oldest() {
		return nil
	}
	return r.slots[(id-1)%uint64(len(r.slots))]
}

// add keeps d as the newest delivery, sets its id and returns it. The
// oldest delivery leaves when the ring is full, and the oldest kept
// parts are given up while the total is over the budget.
func (r *ring) add(d *delivery) uint64 {
	id := r.last + 1
	slot := &r.slots[(id-1)%uint64(len(r.slots))]
	if old := *slot; old != nil && old.kept != nil {
		r.bytes -= old.size
	}
	d.summary.ID = id
	*slot = d
	r.last = id
	if d.kept != nil {
		r.bytes += d.size
	}
	r.light = max(r.light, r.oldest()-1)
	for r.bytes > r.max && r.light+1 < id {
		r.light++
		if e := r.get(r.light); e.kept != nil {
			r.bytes -= e.size
			e.kept = nil
		}
	}
	return id
}

// after calls fn for every delivery kept with an id above id, oldest
// first.
func (r *ring) after(id uint64, fn func(*delivery)) {
	for n := max(id+1, r.oldest()); n != 0 && n <= r.last; n++ {
		fn(r.get(n))
	}
}

// newestFirst calls fn for every delivery kept, newest first.
func (r *ring) newestFirst(fn func(*delivery)) {
	for n := r.last; n != 0 && n >= r.oldest(); n-- {
		fn(r.get(n))
	}
}
