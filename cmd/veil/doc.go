// Command veil is the command line of the veil consortium chain: it
// creates chains and groups, runs nodes and local networks, signs and sends
// anonymous transactions, reads the chain, and gives the regulator its
// audit tools. One file per command; the logic lives in the packages.
//
// Exit statuses (root.go, neterr.go): 0 success, 1 refused, 2 bad usage
// or a node that could not start, 3 network (no answer: refused or reset
// connection, DNS, TLS, timeout; the outcome is unknown). A network
// failure is 3 whatever a command wrapped it as, since a timeout is not
// a refusal; a listen error (a port this process could not bind) and a
// certificate a command checks itself are not network failures. Every
// command takes --output json, and a failure under it prints
// {"error": {"code", "message"}} on stdout as well.
//
// `veil node start` holds its log lines while node.New runs
// (node_startup.go): a start-up failure is then one error line, not the
// error after what raft and memberlist said on the way.
//
// `veil genesis init` and `veil testnet up` take --consensus raft|bft
// (consensusflag.go): the engine genesis.json names, fixed for the
// chain's life, so testnet up refuses the other engine for a network that
// exists. Both describe a network as "4 validators (bft, f=1), 1
// observer", f from bft.Quorum (raft: all but a majority), and warn
// (stderr, the chain is still made) of a BFT set that is not 3f+1: fewer than 4 tolerate no
// fault, 5 and 6 no more than 4. `veil status` shows the BFT view in
// place of raft's line when the node says consensus bft; a BFT observer,
// which runs no engine and knows no leader, is not refused for that.
// `validator add|remove --wait` on BFT wait for --node's engine to order
// (or stop ordering) with the node: SmartBFT takes the set from the
// block that commits it, so that is the wait raft's promotion was.
// TestDemoBFTEndToEnd runs make demo-bft (18 s on the shared 2-core
// machine, the same as the raft demo's 16 s; the leader's stop to a new
// view's leader 2.1 s, the stop included, at fast timing's 2 s leader
// heartbeat timeout).
//
// `veil testnet up` is a supervisor (testnet_supervisor.go): one child
// process per node, a node that exits is logged and, with --restart,
// started again with backoff (1 s doubling to 30 s); `testnet stop|start|
// status` talk to it over DIR/testnet.sock, one JSON request and answer
// per connection, so that stop waits for the node's exit and start for
// its API. TestTestnetFailover runs a failover on it: leader stopped, the
// others elect and commit, the old leader restarted catches up to the
// same block hash, a kill -9 restarted under --restart (9–13 s on the
// shared 2-core machine, the build of the binary excluded; at fast
// timing the stop took 121 ms, a new leader was known 124 ms and the
// next transaction committed 478 ms after it, and the restarted node had
// the block 312 ms after 'testnet start').
package main
