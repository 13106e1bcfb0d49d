// Package fastpath lets the bank presets (bunq.NewReceiver and
// bankhub.NewReceiver, through internal/dispatch) build a receiver that
// trusts its key reader: a duplicate is answered from the dedupe store
// without being decoded, and the decoder reads the pooled body itself.
//
// Only a key reader that provably agrees with its decoder may be trusted.
// The banks' readers are checked against their decoders for every field of
// every object type (scantest's deterministic test) and by fuzzing. Any
// other key reader goes through bankhook.NewKeyedReceiver, which decodes
// a duplicate and compares the keys before answering it.
//
// Package bankhook registers the one function that sets the option, from
// its init, before any of its functions can be called; the option itself
// stays an unexported field of bankhook.ReceiverOptions, out of reach of
// code outside this module.
package fastpath

// trust is bankhook's: it returns options (a bankhook.ReceiverOptions)
// with a trusted key reader.
var trust func(options any, bodyKey func([]byte) (string, bool)) any

// Register is called once, by package bankhook's init.
func Register(f func(options any, bodyKey func([]byte) (string, bool)) any) {
	if trust != nil {
		panic("fastpath: registered twice")
	}
	trust = f
}

// Trusted returns o, a bankhook.ReceiverOptions, set to read each
// delivery's key with bodyKey, a reader known to agree with the
// receiver's decoder, which must copy whatever it keeps of the body.
func Trusted[O any](o O, bodyKey func([]byte) (string, bool)) O {
	return trust(o, bodyKey).(O)
}
