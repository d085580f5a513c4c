//go:build race

package bbs04

// raceEnabled shortens the slowest loops under the race detector, which
// makes pairing arithmetic about ten times slower.
const raceEnabled = true
