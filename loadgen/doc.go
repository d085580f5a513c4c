// Package loadgen drives a veil network with anonymous transactions and
// measures it: transactions are signed ahead of time on all cores (so
// signing never limits the rate), submitted to every given node in turn
// at a fixed rate, or at "max" with a bounded number outstanding, and
// followed on every node's event stream: latency runs from submission to
// the first commit, throughput counts a transaction once every node has
// committed it. `veil bench` is its command line.
package loadgen
