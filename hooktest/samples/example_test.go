package samples_test

import (
	"fmt"

	"github.com/bankhook/bankhook/bankhub"
	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/hooktest/samples"
)

func ExampleBunq() {
	fmt.Println(len(samples.BunqNames()), samples.BunqNames()[:3])
	body, _ := samples.Bunq("mutation")
	n, err := bunq.Decode(body)
	fmt.Println(n.Category, n.Object.ObjectType(), err)
	// Output:
	// 22 [BILLING BUNQME_TAB CARD]
	// MUTATION Payment <nil>
}

func ExampleBankhub() {
	fmt.Println(samples.BankhubNames())
	body, _ := samples.Bankhub("grant_error")
	w, err := bankhub.Decode(body)
	fmt.Println(w.Event().Kind(), err)
	// Output:
	// [GRANT_ERROR GRANT_USER_PERMISSION_REVOKED TRANSACTIONS_DEFAULT_UPDATE]
	// grant_error <nil>
}
