package bankhub

// ProductionIPs returns the addresses bankHub's production environment
// sends webhooks from, as bankHub publishes them: today 34.87.150.47 and
// 34.124.145.244. bankHub may change them; keep the allowlist configurable
// rather than copying these into code.
//
// Each call returns a new slice, which the caller may change.
func ProductionIPs() []string {
	return []string{"34.87.150.47", "34.124.145.244"}
}

// SandboxIPs returns the addresses bankHub's sandbox sends webhooks from:
// today 20.2.69.168.
//
// Each call returns a new slice, which the caller may change.
func SandboxIPs() []string {
	return []string{"20.2.69.168"}
}
