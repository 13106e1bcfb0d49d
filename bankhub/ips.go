package bankhub

// ProductionIPs are the addresses bankHub's production environment sends
// webhooks from, as bankHub publishes them. bankHub may change them; keep
// the allowlist configurable rather than copying these into code.
var ProductionIPs = []string{"34.87.150.47", "34.124.145.244"}

// SandboxIPs are the addresses bankHub's sandbox sends webhooks from.
var SandboxIPs = []string{"20.2.69.168"}
