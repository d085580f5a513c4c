//go:build race

package groupsig

// raceEnabled shortens the slowest loops under the race detector, which
// makes pairing arithmetic about ten times slower.
const raceEnabled = true
