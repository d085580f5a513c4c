//go:build race

package node

// raceDetector is true in a build with the race detector, which makes
// in-process networks several times slower.
const raceDetector = true
