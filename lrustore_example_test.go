package bankhook_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bankhook/bankhook"
)

// A store too small for its traffic: every event past its capacity
// evicts one still within its TTL, which Evictions counts and OnEvict
// reports, so that the first one can be logged as a warning.
func ExampleLRUStore_Evictions() {
	ctx := context.Background()
	s := bankhook.NewLRUStore(bankhook.LRUStoreOptions{
		Capacity: 2,
		OnEvict: func(total uint64) {
			if total == 1 {
				fmt.Println("warning: a dedupe key was evicted before its TTL; raise the capacity")
			}
		},
	})
	for i := range 5 {
		key := "shop:order-paid:A-" + strconv.Itoa(30+i)
		res, _ := s.Reserve(ctx, key, time.Minute)
		_ = s.Complete(ctx, key, res.Token, http.StatusOK, 72*time.Hour)
	}
	fmt.Println(s.Evictions(), "evicted early")
	// Output:
	// warning: a dedupe key was evicted before its TTL; raise the capacity
	// 3 evicted early
}
