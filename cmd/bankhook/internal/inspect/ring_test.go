package inspect

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testDelivery is a delivery whose kept part holds size bytes of body.
func testDelivery(size int) *delivery {
	return newDelivery(Summary{Bank: "bunq", Status: 200}, &kept{body: make([]byte, size), bodyRead: true})
}

func ids(r *ring) []uint64 {
	var list []uint64
	r.newestFirst(func(d *delivery) { list = append(list, d.summary.ID) })
	return list
}

func TestRingCapacity(t *testing.T) {
	r := newRing(3, 1<<20)
	assert.Empty(t, ids(&r))
	assert.Nil(t, r.get(1))
	assert.Zero(t, r.oldest())

	for want := uint64(1); want <= 5; want++ {
		require.Equal(t, want, r.add(testDelivery(10)))
	}
	assert.Equal(t, []uint64{5, 4, 3}, ids(&r), "the newest 3, newest first")
	assert.Equal(t, 3, r.len())
	assert.Equal(t, uint64(3), r.oldest())
	for _, gone := range []uint64{0, 1, 2, 6} {
		assert.Nil(t, r.get(gone), "id %d", gone)
	}
	assert.Equal(t, uint64(4), r.get(4).summary.ID)

	var after []uint64
	r.after(3, func(d *delivery) { after = append(after, d.summary.ID) })
	assert.Equal(t, []uint64{4, 5}, after, "after 3, oldest first")
	after = nil
	r.after(0, func(d *delivery) { after = append(after, d.summary.ID) })
	assert.Equal(t, []uint64{3, 4, 5}, after, "after an id no longer kept: all")
	after = nil
	r.after(5, func(d *delivery) { after = append(after, d.summary.ID) })
	assert.Empty(t, after)

	assert.Equal(t, 3*testDelivery(10).size, r.bytes, "the bytes of the deliveries that left are given back")
}

func TestRingByteBudget(t *testing.T) {
	size := testDelivery(100).size
	r := newRing(10, 3*size)
	for range 3 {
		r.add(testDelivery(100))
	}
	for id := uint64(1); id <= 3; id++ {
		assert.NotNil(t, r.get(id).kept, "within the budget: %d keeps its request", id)
	}

	r.add(testDelivery(100))
	assert.Nil(t, r.get(1).kept, "over the budget: the oldest gives its request up")
	assert.NotNil(t, r.get(2).kept)
	assert.Equal(t, 3*size, r.bytes)
	assert.Len(t, ids(&r), 4, "its summary stays")

	// One delivery larger than the whole budget keeps its own part; every
	// older one gives its up.
	big := r.add(testDelivery(1000))
	assert.NotNil(t, r.get(big).kept)
	for id := uint64(1); id < big; id++ {
		assert.Nil(t, r.get(id).kept, "id %d", id)
	}
	assert.Equal(t, testDelivery(1000).size, r.bytes)

	// A delivery that leaves the ring without its part gives nothing back
	// twice.
	for range 10 {
		r.add(testDelivery(1))
	}
	assert.Equal(t, 10*testDelivery(1).size, r.bytes)
}

func TestFrame(t *testing.T) {
	d := newDelivery(Summary{Bank: "bunq", Status: 401, Reason: "bad_token"}, &kept{})
	assert.NotContains(t, string(d.data), `"id"`, "the id is added when the delivery is kept")
	f := frame("b00t", 17, d.data)
	assert.Equal(t, "id: b00t-17\nevent: delivery\ndata: {\"id\":17,"+string(d.data[1:])+"\n\n", string(f))
}
