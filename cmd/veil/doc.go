// Command veil is the command line of the veil consortium chain: it
// creates chains and groups, runs nodes and local networks, signs and sends
// anonymous transactions, reads the chain, and gives the regulator its
// audit tools. One file per command; the logic lives in the packages.
package main
