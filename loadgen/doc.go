// Package loadgen drives a veil network with anonymous transactions and
// measures it: transactions are signed ahead of time on all cores (so
// signing never limits the rate), submitted to every given node in turn
// at a fixed rate, or at "max" with a bounded number outstanding, and
// followed on every node's event stream: latency runs from submission to
// the first commit, throughput counts a transaction once every node has
// committed it. The block time is measured the same way for every
// engine: the gaps between the first commits of consecutive heights on
// the followed event streams while submissions run, not the proposer's
// header timestamps (a BFT leader stamps its proposal, not the decision).
// A submission answered 503 busy (the node shed load: its
// verification pool serves blocks and gossip first) is counted in Busy
// and sent again after BusyRetry; it is neither refused nor lost.
// `veil bench` is its command line.
package loadgen
